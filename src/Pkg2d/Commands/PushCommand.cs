using System.CommandLine;
using Pkg2d.Image.Publish;
using Pkg2d.Oci;
using Pkg2d.Oci.Distribution;

namespace Pkg2d.Commands;

/// <summary>`pkg2d push`: images built as export builds them, uploaded to a registry with every digest kept.</summary>
internal static class PushCommand
{
    public static Command Create(CommonOptions common)
    {
        var to = new Option<string>("--to")
        {
            Description = "REGISTRY[/NAMESPACE], e.g. registry.example:5000/team: each image goes to REGISTRY/NAMESPACE/NAME.",
            Required = true,
        };
        var tag = new Option<string>("--tag") { Description = "The tag every image gets.", DefaultValueFactory = _ => "latest" };
        var authFile = new Option<string?>("--authfile")
        {
            Description = "Credentials file ({\"auths\":{HOST:{\"auth\":base64(USER:PASSWORD)}}}); default: REGISTRY_AUTH_FILE, "
                + "$XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, ~/.docker/config.json.",
        };
        var tlsVerify = new Option<bool>("--tls-verify")
        {
            Description = "Require HTTPS with a trusted certificate; --tls-verify=false allows plain HTTP and skips certificate checks.",
            DefaultValueFactory = _ => true,
        };
        var selection = new ImageSelection(builds: true);

        var command = new Command("push", "Build images as export does and upload them to a registry: the registry stores the exported "
            + "manifests byte for byte; blobs it has are skipped, blobs in another repository of the push are mounted.");
        common.AddTo(command, withArch: false);
        foreach (var option in new Option[] { to, tag, authFile, tlsVerify })
            command.Options.Add(option);
        selection.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            var target = RegistryTarget.Parse(result.GetValue(to)!);
            var tagName = result.GetValue(tag)!;
            if (!RegistryTarget.IsValidTag(tagName))
                throw new ArgumentException($"'{tagName}' is not a valid tag (letters, digits, _ . -; at most 128, not starting with . or -)");
            // Only the build is used, nothing is written.
            var request = selection.Request(result, common);
            var repositories = request.Images.ToDictionary(s => s.Name, s => target.Repository(s.Name)); // before any download
            var credentials = Credentials(target.Registry, result.GetValue(authFile));

            using var build = await Exporter.BuildAsync(request, Cli.Warn, cancellationToken);

            using var client = new RegistryClient(target.Registry, new RegistryClientOptions
            {
                TlsVerify = result.GetValue(tlsVerify),
                Credentials = credentials.For,
                NoCredentialsHint = credentials.Hint,
            });
            var progress = Console.IsErrorRedirected ? null : new TerminalProgress();
            var pusher = new ImagePusher(client, progress);
            foreach (var entry in build.Layout.Entries)
            {
                var repository = repositories[entry.Name];
                var digest = await pusher.PushAsync(new PushImage(repository, tagName, entry.Artifact), cancellationToken);
                progress?.Clear();
                Console.WriteLine($"{target.Registry}/{repository}:{tagName}@{digest}");
            }
            var summary = pusher.Summary;
            Console.Error.WriteLine($"pushed {build.Layout.Entries.Count} image(s) to {target}: blobs {summary.Uploaded} uploaded "
                + $"({Cli.Bytes(summary.BytesUploaded)}), {summary.Mounted} mounted, {summary.Skipped} skipped; "
                + $"manifests {summary.Manifests} pushed, {summary.ManifestsSkipped} skipped");
            return 0;
        });
        return command;
    }

    /// <summary>Credentials per repository from the auth files, looked up once each, and what to say when there are none.</summary>
    private sealed class AuthLookup(string registry, IReadOnlyList<string> files, bool required)
    {
        private readonly Dictionary<string, RegistryCredentials?> _found = [];

        public string Hint => $"no credentials for {registry} in {string.Join(", ", files)}";

        public RegistryCredentials? For(string repository)
        {
            if (!_found.TryGetValue(repository, out var credentials))
                _found[repository] = credentials = AuthFile.Lookup(files, registry, repository, required)?.Credentials;
            return credentials;
        }
    }

    private static AuthLookup Credentials(string registry, string? authFile)
    {
        var required = !string.IsNullOrEmpty(authFile) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("REGISTRY_AUTH_FILE"));
        var lookup = new AuthLookup(registry, AuthFile.Candidates(authFile), required);
        lookup.For(""); // a named file that is missing or malformed fails now, before the build
        return lookup;
    }

    /// <summary>One status line on stderr, redrawn at most ten times a second, and a line per finished blob and manifest.</summary>
    private sealed class TerminalProgress : IPushProgress
    {
        private long _lastDraw;

        public void Uploading(string repository, Descriptor blob, long sent)
        {
            var now = Environment.TickCount64;
            if (now - _lastDraw < 100 && sent < blob.Size)
                return;
            _lastDraw = now;
            Console.Error.Write($"\r\e[K{repository}: uploading {Short(blob.Digest)} {Cli.Bytes(sent)} / {Cli.Bytes(blob.Size)}");
        }

        public void BlobDone(string repository, Descriptor blob, BlobOutcome outcome) =>
            Console.Error.WriteLine($"\r\e[K{repository}: blob {Short(blob.Digest)} {outcome.ToString().ToLowerInvariant()} ({Cli.Bytes(blob.Size)})");

        public void ManifestDone(string repository, string reference, Descriptor manifest, bool skipped) =>
            Console.Error.WriteLine($"\r\e[K{repository}: manifest {Short(manifest.Digest)} {(skipped ? "skipped" : "pushed")} as {reference}");

        public void Clear() => Console.Error.Write("\r\e[K");

        private static string Short(Digest digest) => digest.ToString()[..19];
    }
}
