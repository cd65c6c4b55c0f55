using System.Formats.Tar;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Pkg2d.Testing;

namespace Pkg2d.Cli.Tests;

/// <summary>
/// Every image carries its SPDX document as an OCI referrer: in export's layouts and archives, on the mount, on
/// the registry's referrers API, and pushed to CNCF distribution through the referrers tag schema; `pkg2d sbom`
/// reads it back. Real packages of Alpine 3.19.1's install repository.
/// </summary>
public sealed class SbomTests : IDisposable
{
    private const string SpdxType = "application/spdx+json";
    private readonly TempDirectory _dir = new("pkg2d-sbom-");

    private static (int ExitCode, string Output, string Errors) Pkg2d(params string[] arguments) => Pkg2dProcess.Run(arguments);

    private string[] Iso(string cache = "cache") =>
        ["--repo", Fixtures.IsoMirrorBase, "--arch", "x86_64", "--keys-dir", Fixtures.KeysDir, "--cache", _dir.Combine(cache)];

    public void Dispose() => _dir.Dispose();

    [FixtureFact]
    public void An_exported_image_lists_its_SBOM_by_subject_and_every_package_is_in_it_as_the_index_says()
    {
        var layout = _dir.Combine("layout");
        var (exit, _, errors) = Pkg2d(["export", .. Iso(), "--out", layout, "server=alpine-base,chrony,wget"]);
        Assert.True(exit == 0, errors);

        var index = Json(File.ReadAllBytes(Path.Combine(layout, "index.json")));
        var image = index.GetProperty("manifests").EnumerateArray().Single(m => RefName(m) == "server");
        var referrer = index.GetProperty("manifests").EnumerateArray().Single(m => m.TryGetProperty("artifactType", out var t) && t.GetString() == SpdxType);
        Assert.Equal("server", referrer.GetProperty("annotations").GetProperty("dev.pkg2d.describes").GetString());
        var artifact = Json(Blob(layout, referrer.GetProperty("digest").GetString()!));
        Assert.Equal(SpdxType, artifact.GetProperty("artifactType").GetString());
        Assert.Equal("application/vnd.oci.empty.v1+json", artifact.GetProperty("config").GetProperty("mediaType").GetString());
        Assert.Equal(image.GetProperty("digest").GetString(), artifact.GetProperty("subject").GetProperty("digest").GetString());
        var layer = Assert.Single(artifact.GetProperty("layers").EnumerateArray());
        Assert.Equal(SpdxType, layer.GetProperty("mediaType").GetString());

        // Every package of the image, with the licence, checksum and purl of its signed index record; its SHA-256 is the layer's digest.
        var document = Json(Blob(layout, layer.GetProperty("digest").GetString()!));
        var manifest = Json(Blob(layout, image.GetProperty("digest").GetString()!));
        var installed = manifest.GetProperty("annotations").GetProperty("dev.pkg2d.packages").GetString()!.Split(' ');
        var records = IndexRecords();
        var packages = document.GetProperty("packages").EnumerateArray().Where(p => p.GetProperty("SPDXID").GetString() != "SPDXRef-Image").ToArray();
        Assert.Equal(installed, packages.Select(p => $"{p.GetProperty("name").GetString()}-{p.GetProperty("versionInfo").GetString()}"));
        var layerDigests = manifest.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()![7..]).ToHashSet();
        foreach (var package in packages)
        {
            var name = package.GetProperty("name").GetString()!;
            var record = records[name];
            Assert.Equal(record.GetValueOrDefault('L') ?? "NOASSERTION", package.GetProperty("licenseDeclared").GetString());
            var checksums = package.GetProperty("checksums").EnumerateArray().ToDictionary(c => c.GetProperty("algorithm").GetString()!, c => c.GetProperty("checksumValue").GetString()!);
            Assert.Equal(Convert.ToHexStringLower(Convert.FromBase64String(record['C'][2..])), checksums["SHA1"]);
            Assert.Contains(checksums["SHA256"], layerDigests);
            Assert.Equal($"pkg:apk/alpine/{name}@{record['V']}?arch=x86_64&distro=alpine-3.19.1",
                package.GetProperty("externalRefs")[0].GetProperty("referenceLocator").GetString());
        }
        var relationships = document.GetProperty("relationships").EnumerateArray()
            .Select(r => $"{r.GetProperty("spdxElementId").GetString()} {r.GetProperty("relationshipType").GetString()} {r.GetProperty("relatedSpdxElement").GetString()}").ToArray();
        Assert.Contains("SPDXRef-Image CONTAINS SPDXRef-Package-wget-1.21.4-r0", relationships);
        Assert.Contains("SPDXRef-Package-wget-1.21.4-r0 DEPENDS_ON SPDXRef-Package-libssl3-3.1.4-r5", relationships);

        // skopeo and umoci still find the image by its name.
        Tool.RunOk("skopeo", "inspect", "oci:" + layout + ":server");
    }

    [FixtureFact]
    public void The_sbom_command_reads_the_document_from_a_layout_an_archive_or_a_build_and_it_is_the_same_cold_or_warm()
    {
        var (exit, _, errors) = Pkg2d(["export", .. Iso("cache-1"), "--out", _dir.Combine("cold"), "web=wget"]);
        Assert.True(exit == 0, errors);
        (exit, _, errors) = Pkg2d(["export", .. Iso("cache-1"), "--out", _dir.Combine("warm"), "web=wget"]);
        Assert.True(exit == 0, errors);
        (exit, _, errors) = Pkg2d(["export", .. Iso("cache-1"), "--format", "oci-archive", "--out", _dir.Combine("web.tar"), "web=wget"]);
        Assert.True(exit == 0, errors);
        Assert.Equal(File.ReadAllBytes(_dir.Combine("cold", "index.json")), File.ReadAllBytes(_dir.Combine("warm", "index.json")));

        var fromLayout = Pkg2d(["sbom", "--from", _dir.Combine("cold"), "web"]);
        Assert.True(fromLayout.ExitCode == 0, fromLayout.Errors);
        var fromArchive = Pkg2d(["sbom", "--from", _dir.Combine("web.tar"), "web"]);
        Assert.True(fromArchive.ExitCode == 0, fromArchive.Errors);
        var built = Pkg2d(["sbom", .. Iso("cache-2"), "--out", _dir.Combine("web.spdx.json"), "web=wget"]);
        Assert.True(built.ExitCode == 0, built.Errors);
        Assert.Equal(fromLayout.Output, fromArchive.Output);
        Assert.Equal(fromLayout.Output, File.ReadAllText(_dir.Combine("web.spdx.json")));
        Assert.Equal("SPDX-2.3", Json(File.ReadAllBytes(_dir.Combine("web.spdx.json"))).GetProperty("spdxVersion").GetString());

        // Without the SBOM, the image itself is unchanged and the layout lists it alone.
        (exit, _, errors) = Pkg2d(["export", .. Iso("cache-1"), "--sbom", "false", "--out", _dir.Combine("bare"), "web=wget"]);
        Assert.True(exit == 0, errors);
        var with = Json(File.ReadAllBytes(_dir.Combine("cold", "index.json"))).GetProperty("manifests");
        var without = Json(File.ReadAllBytes(_dir.Combine("bare", "index.json"))).GetProperty("manifests");
        Assert.Equal(2, with.GetArrayLength());
        Assert.Equal(with[0].GetRawText(), Assert.Single(without.EnumerateArray()).GetRawText());
        var missing = Pkg2d(["sbom", "--from", _dir.Combine("bare"), "web"]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("has no SBOM", missing.Errors);

        // A layout whose document was changed, or whose blob is a link to a device, is an error, never other bytes.
        var document = Json(File.ReadAllBytes(_dir.Combine("web.spdx.json")));
        var digest = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(_dir.Combine("web.spdx.json"))));
        var blob = Path.Combine(_dir.Combine("warm"), "blobs", "sha256", digest[7..]);
        Assert.Equal("web", document.GetProperty("name").GetString());
        File.WriteAllText(blob, File.ReadAllText(blob).Replace("\"web\"", "\"wub\""));
        var tampered = Pkg2d(["sbom", "--from", _dir.Combine("warm"), "web"]);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains($"blob {digest} does not hold what its digest and size", tampered.Errors);
        File.Delete(blob);
        File.CreateSymbolicLink(blob, "/dev/zero");
        var device = Pkg2d(["sbom", "--from", _dir.Combine("warm"), "web"]);
        Assert.Equal(1, device.ExitCode);
        Assert.Contains("is not a regular file", device.Errors);
    }

    [FixtureFact]
    public async Task The_registry_answers_the_referrers_of_an_image_with_its_SBOM_and_filters_by_artifact_type()
    {
        using var daemon = new RegistryDaemon(_dir.Combine("daemon"), [.. Iso("unused").Take(6), "--image", "web=wget"]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{daemon.Host}") };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.oci.image.manifest.v1+json"));
        foreach (var name in new[] { "web", "zlib" })
        {
            using var head = await client.GetAsync($"/v2/{name}/manifests/latest");
            Assert.True(head.StatusCode == HttpStatusCode.OK, daemon.Log);
            var digest = head.Headers.GetValues("Docker-Content-Digest").Single();

            using var referrers = await client.GetAsync($"/v2/{name}/referrers/{digest}");
            Assert.Equal("application/vnd.oci.image.index.v1+json", referrers.Content.Headers.ContentType?.MediaType);
            var listed = Assert.Single(Json(await referrers.Content.ReadAsByteArrayAsync()).GetProperty("manifests").EnumerateArray());
            Assert.Equal(SpdxType, listed.GetProperty("artifactType").GetString());
            var artifact = Json(await client.GetByteArrayAsync($"/v2/{name}/manifests/{listed.GetProperty("digest").GetString()}"));
            Assert.Equal(digest, artifact.GetProperty("subject").GetProperty("digest").GetString());
            var document = Json(await client.GetByteArrayAsync($"/v2/{name}/blobs/{artifact.GetProperty("layers")[0].GetProperty("digest").GetString()}"));
            Assert.Equal(name, document.GetProperty("name").GetString());

            using var filtered = await client.GetAsync($"/v2/{name}/referrers/{digest}?artifactType=application/example");
            Assert.Equal("artifactType", filtered.Headers.GetValues("OCI-Filters-Applied").Single());
            Assert.Equal(0, Json(await filtered.Content.ReadAsByteArrayAsync()).GetProperty("manifests").GetArrayLength());
        }
        Assert.Equal(0, daemon.Stop());
    }

    [FuseFact("skopeo")]
    public void The_mount_lists_the_SBOM_beside_its_image()
    {
        using var daemon = new Daemon(_dir.Combine("mnt"), _dir.Combine("daemon"), [.. Iso("unused").Take(6), "--image", "web=wget"]);
        daemon.WaitReady();
        var index = Json(File.ReadAllBytes(daemon.Path("index.json"))).GetProperty("manifests");
        var image = index.EnumerateArray().Single(m => RefName(m) == "web").GetProperty("digest").GetString()!;
        var referrer = index.EnumerateArray().Single(m => m.TryGetProperty("artifactType", out _));
        var artifact = Json(Blob(daemon.MountPoint, referrer.GetProperty("digest").GetString()!));
        Assert.Equal(image, artifact.GetProperty("subject").GetProperty("digest").GetString());
        Assert.Equal("SPDX-2.3", Json(Blob(daemon.MountPoint, artifact.GetProperty("layers")[0].GetProperty("digest").GetString()!)).GetProperty("spdxVersion").GetString());
        // A world's layout lists its image alone (`oci:MNT/zlib` needs no reference); the top level then lists both.
        var world = Json(File.ReadAllBytes(daemon.Path("zlib", "index.json"))).GetProperty("manifests");
        var zlib = Assert.Single(world.EnumerateArray()).GetProperty("digest").GetString();
        var top = Json(File.ReadAllBytes(daemon.Path("index.json"))).GetProperty("manifests").EnumerateArray()
            .Where(m => m.TryGetProperty("artifactType", out _)).Select(m => Json(Blob(daemon.MountPoint, m.GetProperty("digest").GetString()!)));
        Assert.Contains(zlib, top.Select(a => a.GetProperty("subject").GetProperty("digest").GetString()));
        Tool.RunOk("skopeo", "inspect", "oci:" + daemon.MountPoint + ":web");
    }

    /// <summary>CNCF distribution 2.8 has no referrers API: the SBOM goes by digest and is listed in the tag schema's index.</summary>
    [ToolFact("docker-registry", "skopeo")]
    public void Push_lists_the_SBOM_in_the_referrers_tag_of_a_registry_without_the_referrers_API()
    {
        using var registry = new PushRegistry();
        var (exit, output, errors) = Pkg2d(["push", "--to", registry.Host + "/team", "--tls-verify=false", .. Iso(), "web=wget"]);
        Assert.True(exit == 0, errors);
        var digest = output.Trim().Split('@')[1];
        var tag = "sha256-" + digest[7..];
        var referrers = Json(System.Text.Encoding.UTF8.GetBytes(
            Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false", $"docker://{registry.Host}/team/web:{tag}")));
        var listed = Assert.Single(referrers.GetProperty("manifests").EnumerateArray());
        Assert.Equal(SpdxType, listed.GetProperty("artifactType").GetString());
        var artifact = Json(System.Text.Encoding.UTF8.GetBytes(Tool.RunOk("skopeo", "inspect", "--raw", "--tls-verify=false",
            $"docker://{registry.Host}/team/web@{listed.GetProperty("digest").GetString()}")));
        Assert.Equal(digest, artifact.GetProperty("subject").GetProperty("digest").GetString());

        // A second push changes nothing: the tag already lists it.
        registry.ResetLog();
        (exit, _, errors) = Pkg2d(["push", "--to", registry.Host + "/team", "--tls-verify=false", .. Iso(), "web=wget"]);
        Assert.True(exit == 0, errors);
        Assert.All(registry.Requests(), r => Assert.True(r.Method is "GET" or "HEAD", $"{r.Method} {r.Path}"));
    }

    private static JsonElement Json(byte[] bytes) => JsonDocument.Parse(bytes).RootElement;

    private static string? RefName(JsonElement descriptor) => IndexJson.RefName(descriptor);

    private static byte[] Blob(string layout, string digest) => File.ReadAllBytes(Path.Combine(layout, "blobs", "sha256", digest[7..]));

    /// <summary>The mirror's index records by package name (P:), each as its fields (last value of a repeated one).</summary>
    private static Dictionary<string, Dictionary<char, string>> IndexRecords()
    {
        using var file = File.OpenRead(Path.Combine(Fixtures.IsoMirrorBase, "x86_64", "APKINDEX.tar.gz"));
        using var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionMode.Decompress);
        // The signature and the index are two gzip members of one stream; the tar reader sees them in sequence.
        using var tar = new TarReader(gzip);
        string? text = null;
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name == "APKINDEX")
                text = new StreamReader(entry.DataStream!).ReadToEnd();
        }
        var records = new Dictionary<string, Dictionary<char, string>>(StringComparer.Ordinal);
        foreach (var block in text!.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = new Dictionary<char, string>();
            foreach (var line in block.Split('\n').Where(l => l.Length > 2 && l[1] == ':'))
                fields[line[0]] = line[2..];
            records[fields['P']] = fields;
        }
        return records;
    }
}
