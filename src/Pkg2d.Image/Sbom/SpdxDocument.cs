using System.Globalization;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pkg2d.Apk.Index;

namespace Pkg2d.Image.Sbom;

/// <summary>One Alpine package of the image, as its signed index record says.</summary>
/// <param name="LayerDigest">`sha256:&lt;hex&gt;` of the package's layer: its data member, whose sha256 is apk's datahash.</param>
public sealed record SbomPackage(ApkIndexEntry Entry, string LayerDigest);

public sealed record SbomInput
{
    /// <summary>The image's name, e.g. "web".</summary>
    public required string ImageName { get; init; }

    /// <summary>`sha256:&lt;hex&gt;` of the image manifest.</summary>
    public required string ManifestDigest { get; init; }

    /// <summary>The Alpine arch, e.g. x86_64.</summary>
    public required string Arch { get; init; }

    /// <summary>The image's creation time.</summary>
    public required DateTimeOffset Created { get; init; }

    /// <summary>The image's packages in install order.</summary>
    public required IReadOnlyList<SbomPackage> Packages { get; init; }

    /// <summary>The content of etc/alpine-release, trimmed (e.g. "3.19.1"); null: the image has none.</summary>
    public string? AlpineRelease { get; init; }
}

/// <summary>
/// An SPDX 2.3 JSON document of an image: the image (`SPDXRef-Image`, a CONTAINER) contains one package per Alpine
/// package, each of which DEPENDS_ON the image's packages that satisfy its `D:` tokens. The same input gives the same
/// bytes: members in a fixed order, packages in install order, no clock or random value. Written with
/// <see cref="Utf8JsonWriter"/> (no reflection: the executable is compiled ahead of time).
/// </summary>
public static class SpdxDocument
{
    public const string DocumentId = "SPDXRef-DOCUMENT";
    public const string ImageId = "SPDXRef-Image";

    /// <summary>The document namespace's base: `&lt;base&gt;/&lt;image name, percent-encoded&gt;/&lt;manifest digest hex&gt;`.</summary>
    public const string NamespaceBase = "https://pkg2d.dev/spdx";

    private const string NoAssertion = "NOASSERTION";

    private sealed record Described(SbomPackage Package, string Id, string LayerHex, string LicenseDeclared, string? LicenseComment);

    public static byte[] Write(SbomInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (string.IsNullOrWhiteSpace(input.ImageName))
            throw new ArgumentException("the image has no name", nameof(input));
        if (string.IsNullOrWhiteSpace(input.Arch))
            throw new ArgumentException("the image has no arch", nameof(input));
        var manifestHex = Sha256Hex(input.ManifestDigest, "manifest digest");
        if (input.Packages.Any(p => p?.Entry is null))
            throw new ArgumentException("a package has no index record", nameof(input));
        var licenses = DeclaredLicenses.Of([.. input.Packages.Select(p => p.Entry)]);
        var packages = Describe(input.Packages, licenses.Packages);
        var extracted = licenses.Extracted;

        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            // Not for a web page: '+', '<' and '&' stay as they are, readable.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            json.WriteString("spdxVersion", "SPDX-2.3");
            json.WriteString("dataLicense", "CC0-1.0");
            json.WriteString("SPDXID", DocumentId);
            json.WriteString("name", input.ImageName);
            json.WriteString("documentNamespace", $"{NamespaceBase}/{Purl.Encode(input.ImageName)}/{manifestHex}");
            json.WriteStartObject("creationInfo");
            json.WriteString("created", input.Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            json.WriteStartArray("creators");
            json.WriteStringValue("Tool: pkg2d");
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartArray("documentDescribes");
            json.WriteStringValue(ImageId);
            json.WriteEndArray();

            json.WriteStartArray("packages");
            WriteImage(json, input, manifestHex);
            foreach (var package in packages)
                WritePackage(json, package, input);
            json.WriteEndArray();

            if (extracted.Count > 0)
            {
                json.WriteStartArray("hasExtractedLicensingInfos");
                foreach (var licence in extracted)
                {
                    json.WriteStartObject();
                    json.WriteString("licenseId", licence.LicenseId);
                    json.WriteString("extractedText", licence.Text);
                    json.WriteString("name", licence.Name);
                    json.WriteString("comment", licence.Comment);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }

            json.WriteStartArray("relationships");
            WriteRelationship(json, DocumentId, "DESCRIBES", ImageId);
            foreach (var package in packages)
                WriteRelationship(json, ImageId, "CONTAINS", package.Id);
            foreach (var (from, to) in Dependencies(packages))
                WriteRelationship(json, from.Id, "DEPENDS_ON", to.Id);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static void WriteImage(Utf8JsonWriter json, SbomInput input, string manifestHex)
    {
        json.WriteStartObject();
        json.WriteString("SPDXID", ImageId);
        json.WriteString("name", input.ImageName);
        json.WriteString("versionInfo", input.ManifestDigest);
        json.WriteString("downloadLocation", NoAssertion);
        json.WriteBoolean("filesAnalyzed", false);
        json.WriteString("licenseConcluded", NoAssertion);
        json.WriteString("licenseDeclared", NoAssertion);
        json.WriteString("primaryPackagePurpose", "CONTAINER");
        WriteChecksums(json, ("SHA256", manifestHex));
        WritePurl(json, Purl.Oci(input.ImageName, input.ManifestDigest, input.Arch));
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, Described package, SbomInput input)
    {
        var entry = package.Package.Entry;
        json.WriteStartObject();
        json.WriteString("SPDXID", package.Id);
        json.WriteString("name", entry.Name);
        json.WriteString("versionInfo", entry.Version);
        var agent = Agent(entry.Maintainer);
        json.WriteString("supplier", agent);
        json.WriteString("originator", agent);
        json.WriteString("downloadLocation", DownloadLocation(entry));
        json.WriteBoolean("filesAnalyzed", false);
        if (!string.IsNullOrWhiteSpace(entry.Url))
            json.WriteString("homepage", entry.Url.Trim());
        var source = string.Join(", ", new[] { ("origin", entry.Origin), ("commit", entry.Commit) }
            .Where(p => !string.IsNullOrWhiteSpace(p.Item2)).Select(p => $"{p.Item1} {p.Item2!.Trim()}"));
        if (source.Length > 0)
            json.WriteString("sourceInfo", source);
        json.WriteString("licenseConcluded", NoAssertion);
        json.WriteString("licenseDeclared", package.LicenseDeclared);
        if (package.LicenseComment is not null)
            json.WriteString("licenseComments", package.LicenseComment);
        if (!string.IsNullOrWhiteSpace(entry.Description))
            json.WriteString("summary", entry.Description);
        // apk's Q1 checksum is a SHA-1 (of the package's control member); a Q2 one (SHA-256) is left out, not to
        // stand beside the layer's SHA256 under the same algorithm.
        if (entry.Checksum is { } checksum && checksum.Algorithm == HashAlgorithmName.SHA1)
            WriteChecksums(json, ("SHA256", package.LayerHex), ("SHA1", Convert.ToHexStringLower(checksum.Hash)));
        else
            WriteChecksums(json, ("SHA256", package.LayerHex));
        WritePurl(json, Purl.Apk(entry.Name, entry.Version, entry.Arch ?? input.Arch, input.AlpineRelease));
        json.WriteEndObject();
    }

    private static void WriteChecksums(Utf8JsonWriter json, params (string Algorithm, string Value)[] checksums)
    {
        json.WriteStartArray("checksums");
        foreach (var (algorithm, value) in checksums)
        {
            json.WriteStartObject();
            json.WriteString("algorithm", algorithm);
            json.WriteString("checksumValue", value);
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    private static void WritePurl(Utf8JsonWriter json, string purl)
    {
        json.WriteStartArray("externalRefs");
        json.WriteStartObject();
        json.WriteString("referenceCategory", "PACKAGE-MANAGER");
        json.WriteString("referenceType", "purl");
        json.WriteString("referenceLocator", purl);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WriteRelationship(Utf8JsonWriter json, string from, string type, string to)
    {
        json.WriteStartObject();
        json.WriteString("spdxElementId", from);
        json.WriteString("relationshipType", type);
        json.WriteString("relatedSpdxElement", to);
        json.WriteEndObject();
    }

    /// <summary>`Person: Name (mail)` from apk's `Name &lt;mail&gt;`; NOASSERTION without a maintainer.</summary>
    internal static string Agent(string? maintainer)
    {
        if (string.IsNullOrWhiteSpace(maintainer))
            return NoAssertion;
        var text = maintainer.Trim();
        var open = text.LastIndexOf('<');
        var close = text.LastIndexOf('>');
        if (open < 0 || close < open)
            return $"Person: {text}";
        var name = text[..open].Trim();
        var mail = text[(open + 1)..close].Trim();
        return name.Length == 0 ? $"Person: {mail}"
            : mail.Length == 0 ? $"Person: {name}"
            : $"Person: {name} ({mail})";
    }

    private static string DownloadLocation(ApkIndexEntry entry) =>
        entry.Repository.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
        || entry.Repository.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            ? entry.Repository.TrimEnd('/') + "/" + entry.FileName
            : NoAssertion;

    private static string Sha256Hex(string? digest, string what)
    {
        const string prefix = "sha256:";
        if (digest is null || digest.Length != prefix.Length + 64 || !digest.StartsWith(prefix, StringComparison.Ordinal)
            || digest.AsSpan(prefix.Length).ContainsAnyExcept("0123456789abcdef"))
            throw new ArgumentException($"{what} '{digest}' is not sha256:<64 lower-case hex digits>");
        return digest[prefix.Length..];
    }

    /// <summary>Gives every package a unique SPDXID, its layer digest's hex and its declared license.</summary>
    private static List<Described> Describe(IReadOnlyList<SbomPackage> packages, IReadOnlyList<DeclaredLicenses.Declared> licenses)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal) { DocumentId, ImageId };
        var described = new List<Described>(packages.Count);
        for (var i = 0; i < packages.Count; i++)
        {
            var package = packages[i];
            var entry = package.Entry;
            var id = DeclaredLicenses.Unique("SPDXRef-Package-" + IdString($"{entry.Name}-{entry.Version}"), ids.Contains);
            ids.Add(id);
            described.Add(new Described(package, id, Sha256Hex(package.LayerDigest, $"layer digest of {entry}"),
                licenses[i].Expression, licenses[i].Comment));
        }
        return described;
    }

    /// <summary>Each character outside `[A-Za-z0-9.-]` replaced by '-'.</summary>
    private static string IdString(string text) =>
        string.Create(text.Length, text, (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
                span[i] = SpdxLicense.IsIdChar(source[i]) ? source[i] : '-';
        });

    /// <summary>
    /// Each package's edges to the packages of the image that satisfy its `D:` tokens, by name or by a `p:` name,
    /// version constraints ignored: packages in install order, targets in the order of the tokens, then of install.
    /// Conflicts (`!name`), tokens that no package satisfies, self edges and repeated edges are left out.
    /// </summary>
    private static IEnumerable<(Described From, Described To)> Dependencies(List<Described> packages)
    {
        var providers = new Dictionary<string, List<Described>>(StringComparer.Ordinal);
        void Provide(string name, Described package)
        {
            if (!providers.TryGetValue(name, out var list))
                providers.Add(name, list = []);
            if (!list.Contains(package))
                list.Add(package);
        }
        foreach (var package in packages)
        {
            Provide(package.Package.Entry.Name, package);
            foreach (var provided in package.Package.Entry.Provides)
                Provide(TokenName(provided), package);
        }
        foreach (var package in packages)
        {
            var seen = new HashSet<Described>();
            foreach (var token in package.Package.Entry.Depends)
            {
                if (token.StartsWith('!') || !providers.TryGetValue(TokenName(token), out var targets))
                    continue;
                foreach (var target in targets)
                {
                    if (target != package && seen.Add(target))
                        yield return (package, target);
                }
            }
        }
    }

    /// <summary>The name of a dependency or provides token: what precedes a version constraint or an `@tag`.</summary>
    private static string TokenName(string token)
    {
        var end = token.IndexOfAny(['<', '>', '=', '~', '@']);
        return end < 0 ? token : token[..end];
    }
}
