using System.CommandLine;
using Pkg2d;
using Pkg2d.Commands;

var common = new CommonOptions();
var root = new RootCommand("pkg2d: Alpine packages as OCI images, verified from Alpine's signatures to the image digests.")
{
    ResolveCommands.Resolve(common),
    ResolveCommands.Fetch(common),
    ExportCommand.Create(common),
    LockCommand.Create(common),
    PushCommand.Create(common),
    ServeCommand.Create(common),
};
return await Cli.InvokeAsync(root, args);
