using System.CommandLine;
using Pkg2d;
using Pkg2d.Commands;

// Building images allocates some tens of MiB that mostly stay alive to the end (indexes, package facts, images): a
// collection would only copy them (a cold export spent a fifth of its CPU so). Up to this budget none runs; past
// it, the GC works as usual. The daemon and the quick commands are left alone.
if (args is ["export" or "push" or "lock" or "fetch", ..])
{
    try
    {
        GC.TryStartNoGCRegion(64L << 20);
    }
    catch (ArgumentOutOfRangeException)
    {
        // More than the heap may hold (a small GCHeapHardLimit): collect as usual.
    }
}

var common = new CommonOptions();
var root = new RootCommand("pkg2d: Alpine packages as OCI images, verified from Alpine's signatures to the image digests.")
{
    ResolveCommands.Resolve(common),
    ResolveCommands.Fetch(common),
    ExportCommand.Create(common),
    LockCommand.Create(common),
    PushCommand.Create(common),
    SbomCommand.Create(common),
    ServeCommand.Create(common),
};
return await Cli.InvokeAsync(root, args);
