using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pkg2d.Apk.Index;
using Pkg2d.Apk.Signing;
using Pkg2d.Image.Sbom;
using Pkg2d.Testing;

namespace Pkg2d.Image.Tests.Sbom;

public class SpdxDocumentTests
{
    private const string Manifest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Cdn = "https://dl-cdn.alpinelinux.org/alpine/v3.19/main/x86_64";
    private static readonly DateTimeOffset Created = new(2024, 1, 26, 12, 30, 5, TimeSpan.FromHours(2));

    // ---- real data --------------------------------------------------------------------------------------------

    /// <summary>
    /// Every record of Alpine 3.19.1's install repository, as the project's reader reads the signed index, read as
    /// if from the CDN (the repository string only names where the files are).
    /// </summary>
    private static IReadOnlyList<ApkIndexEntry> IsoEntries(string repository)
    {
        var path = Fixtures.Path("mirror", "v3.19-iso", "x86_64", "APKINDEX.tar.gz");
        using var file = File.OpenRead(path);
        return ApkIndexReader.ReadSigned(file, repository, path, TrustedKeys.Load([Fixtures.KeysDir]), false, null).Entries;
    }

    /// <summary>
    /// A stand-in layer digest: sha256 of the package's name. The v3.19 index has no datahash field, and that the real
    /// layer digest is the data member's sha256 (apk's datahash) is checked by the layer tests, not here.
    /// </summary>
    private static string FakeLayer(string name) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    private static SbomInput Input(IEnumerable<ApkIndexEntry> entries, string? release = "3.19.1", string name = "web",
        string arch = "x86_64") => new()
    {
        ImageName = name,
        ManifestDigest = Manifest,
        Arch = arch,
        Created = Created,
        Packages = [.. entries.Select(e => new SbomPackage(e, FakeLayer(e.Name)))],
        AlpineRelease = release,
    };

    [FixtureFact]
    public void RealIndexGivesAValidDocumentOfEveryPackage()
    {
        var entries = IsoEntries(Cdn);
        Assert.Equal(100, entries.Count);
        var bytes = SpdxDocument.Write(Input(entries));
        using var doc = Parse(bytes);
        SchemaCheck(doc.RootElement);
        var root = doc.RootElement;

        Assert.Equal("web", root.GetProperty("name").GetString());
        Assert.Equal("https://pkg2d.dev/spdx/web/" + Manifest[7..], root.GetProperty("documentNamespace").GetString());
        Assert.Equal("2024-01-26T10:30:05Z", root.GetProperty("creationInfo").GetProperty("created").GetString());
        Assert.Equal(["Tool: pkg2d"], Strings(root.GetProperty("creationInfo").GetProperty("creators")));
        Assert.Equal(["SPDXRef-Image"], Strings(root.GetProperty("documentDescribes")));
        Assert.False(root.TryGetProperty("hasExtractedLicensingInfos", out _)); // every L: of v3.19 is an expression

        var packages = root.GetProperty("packages").EnumerateArray().ToList();
        Assert.Equal(101, packages.Count);
        var image = packages[0];
        Assert.Equal("SPDXRef-Image", image.GetProperty("SPDXID").GetString());
        Assert.Equal(Manifest, image.GetProperty("versionInfo").GetString());
        Assert.Equal("CONTAINER", image.GetProperty("primaryPackagePurpose").GetString());
        Assert.Equal(("SHA256", Manifest[7..]), Checksums(image).Single());
        Assert.Equal($"pkg:oci/web@sha256%3A{Manifest[7..]}?arch=amd64", Purl(image));

        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var package = packages[i + 1]; // input order
            Assert.Equal(entry.Name, package.GetProperty("name").GetString());
            Assert.Equal(entry.Version, package.GetProperty("versionInfo").GetString());
            Assert.Equal($"pkg:apk/alpine/{Uri.EscapeDataString(entry.Name)}@{Uri.EscapeDataString(entry.Version)}?arch=x86_64&distro=alpine-3.19.1",
                Purl(package));
            Assert.Equal(entry['L'], package.GetProperty("licenseDeclared").GetString());
            Assert.Equal("NOASSERTION", package.GetProperty("licenseConcluded").GetString());
            // C: as the index writes it, decoded here: Q1 + base64 of a SHA-1.
            var c = entry['C']!;
            Assert.StartsWith("Q1", c);
            Assert.Equal(
                [("SHA256", FakeLayer(entry.Name)[7..]), ("SHA1", Convert.ToHexStringLower(Convert.FromBase64String(c[2..])))],
                Checksums(package));
            Assert.Equal($"{Cdn}/{entry.Name}-{entry.Version}.apk", package.GetProperty("downloadLocation").GetString());
            Assert.Equal(entry['U'], package.GetProperty("homepage").GetString());
            Assert.Equal($"origin {entry['o']}, commit {entry['c']}", package.GetProperty("sourceInfo").GetString());
            var maintainer = entry['m']!;
            var person = "Person: " + maintainer.Replace(" <", " (").Replace(">", ")");
            Assert.Equal(person, package.GetProperty("supplier").GetString());
            Assert.Equal(person, package.GetProperty("originator").GetString());
        }
        Assert.Contains(packages.Skip(1), p => p.GetProperty("supplier").GetString() == "Person: Natanael Copa (ncopa@alpinelinux.org)");

        var relationships = Relationships(root);
        Assert.Equal(("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"), relationships[0]);
        Assert.Equal(packages.Skip(1).Select(p => ("SPDXRef-Image", "CONTAINS", p.GetProperty("SPDXID").GetString()!)),
            relationships.Skip(1).Take(100));
        Assert.All(relationships.Skip(101), r => Assert.Equal("DEPENDS_ON", r.Type));
        Assert.Equal(relationships.Count, relationships.Distinct().Count());
        Assert.DoesNotContain(relationships, r => r.From == r.To);

        // wget's D: names musl, libcrypto3, libidn2, pcre2, libssl3 and zlib through their so: provides.
        var ids = packages.ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("SPDXID").GetString()!);
        var wget = entries.Single(e => e.Name == "wget");
        Assert.Equal("so:libc.musl-x86_64.so.1 so:libcrypto.so.3 so:libidn2.so.0 so:libpcre2-8.so.0 so:libssl.so.3 so:libz.so.1", wget['D']);
        Assert.Equal(["musl", "libcrypto3", "libidn2", "pcre2", "libssl3", "zlib"], DependsOn(relationships, ids, "wget"));
        Assert.Equal(["musl", "libcrypto3"], DependsOn(relationships, ids, "libssl3"));
        Assert.Empty(DependsOn(relationships, ids, "musl"));
        Assert.Contains("busybox", DependsOn(relationships, ids, "alpine-base"));

        // Every package's edges are those the index's D: tokens give, worked out here from the raw text.
        foreach (var entry in entries)
        {
            var expected = new List<string>();
            foreach (var token in (entry['D'] ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(t => t[0] != '!'))
            {
                var name = Regex.Match(token, @"^[^<>=~]+").Value;
                expected.AddRange(entries.Where(e => e != entry && (e.Name == name
                    || (e['p'] ?? "").Split(' ').Any(p => p.Split('=')[0] == name))).Select(e => e.Name));
            }
            Assert.Equal(expected.Distinct(), DependsOn(relationships, ids, entry.Name));
        }

        Assert.Equal(bytes, SpdxDocument.Write(Input(IsoEntries(Cdn))));
    }

    [FixtureFact]
    public void AWorldOfTheRealIndexIsDescribedInItsOrder()
    {
        var all = IsoEntries(Fixtures.Path("mirror", "v3.19-iso", "x86_64"));
        string[] world = ["musl", "busybox", "zlib", "libcrypto3", "libssl3", "libunistring", "libidn2", "pcre2", "wget"];
        var entries = world.Select(n => all.Single(e => e.Name == n)).ToList();
        var bytes = SpdxDocument.Write(Input(entries, release: null));
        using var doc = Parse(bytes);
        SchemaCheck(doc.RootElement);
        var packages = doc.RootElement.GetProperty("packages").EnumerateArray().Skip(1).ToList();
        Assert.Equal(world, packages.Select(p => p.GetProperty("name").GetString()));
        // A repository that is a folder is no download location; no etc/alpine-release: no distro qualifier.
        Assert.All(packages, p => Assert.Equal("NOASSERTION", p.GetProperty("downloadLocation").GetString()));
        Assert.Equal("pkg:apk/alpine/wget@1.21.4-r0?arch=x86_64", Purl(packages[^1]));
        Assert.Equal("SPDXRef-Package-wget-1.21.4-r0", packages[^1].GetProperty("SPDXID").GetString());
        var ids = packages.ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("SPDXID").GetString()!);
        var relationships = Relationships(doc.RootElement);
        Assert.Equal(["musl", "libcrypto3", "libidn2", "pcre2", "libssl3", "zlib"], DependsOn(relationships, ids, "wget"));
        Assert.Equal(["musl", "libunistring"], DependsOn(relationships, ids, "libidn2"));
        Assert.Equal(bytes, SpdxDocument.Write(Input(entries, release: null)));
    }

    // ---- licenses ---------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("MIT")]
    [InlineData("GPL-2.0-or-later AND MIT")]
    [InlineData("(MIT OR Apache-2.0) AND BSD-3-Clause")]
    [InlineData("GPL-2.0-only WITH Linux-syscall-note")]
    [InlineData("GPL-2.0+ WITH Classpath-exception-2.0 OR MIT")]
    [InlineData("ISC AND ( BSD-3-Clause OR MIT )")]
    [InlineData("((MIT))")]
    [InlineData("LicenseRef-foo")]
    [InlineData("MIT OR LicenseRef-my.licence-2")]
    public void AnExpressionIsKept(string license)
    {
        Assert.True(SpdxLicense.IsValid(license));
        var (package, root) = One(Entry("demo", "1.0-r0", ("L", license)));
        Assert.Equal(license, package.GetProperty("licenseDeclared").GetString());
        Assert.False(package.TryGetProperty("licenseComments", out _));
        var refs = Regex.Matches(license, @"LicenseRef-[A-Za-z0-9.-]+").Select(m => m.Value).ToList();
        if (refs.Count == 0)
            Assert.False(root.TryGetProperty("hasExtractedLicensingInfos", out _));
        else
        {
            var info = root.GetProperty("hasExtractedLicensingInfos").EnumerateArray().Single();
            Assert.Equal(refs.Single(), info.GetProperty("licenseId").GetString());
            Assert.Equal(license, info.GetProperty("extractedText").GetString());
        }
    }

    [Theory]
    [InlineData("GPL2+ custom", "LicenseRef-GPL2-custom")]
    [InlineData("custom:foo", "LicenseRef-custom-foo")]
    [InlineData("MIT AND", "LicenseRef-MIT-AND")]
    [InlineData("(MIT OR BSD-3-Clause", "LicenseRef-MIT-OR-BSD-3-Clause")]
    [InlineData("MIT OR OR BSD", "LicenseRef-MIT-OR-OR-BSD")]
    [InlineData("MIT WITH", "LicenseRef-MIT-WITH")]
    [InlineData("MIT WITH LicenseRef-x", "LicenseRef-MIT-WITH-LicenseRef-x")]
    [InlineData("LicenseRef-foo+", "LicenseRef-LicenseRef-foo")]
    [InlineData("MIT And BSD", "LicenseRef-MIT-And-BSD")]
    [InlineData("Public Domain", "LicenseRef-Public-Domain")]
    [InlineData("()", "LicenseRef-unknown")]
    [InlineData("DocumentRef-spdx-tool-1.2:LicenseRef-MIT-Style-2", "LicenseRef-DocumentRef-spdx-tool-1.2-LicenseRef-MIT-Style-2")]
    public void AnythingElseBecomesALicenseRefWithTheTextExtracted(string license, string id)
    {
        // A DocumentRef is SPDX syntax, but this document has no external document to resolve it.
        Assert.Equal(license.StartsWith("DocumentRef-"), SpdxLicense.IsValid(license));
        var (package, root) = One(Entry("demo", "1.0-r0", ("L", license)));
        Assert.Equal(id, package.GetProperty("licenseDeclared").GetString());
        Assert.Contains(license, package.GetProperty("licenseComments").GetString());
        var info = root.GetProperty("hasExtractedLicensingInfos").EnumerateArray().Single();
        Assert.Equal(id, info.GetProperty("licenseId").GetString());
        Assert.Equal(license, info.GetProperty("extractedText").GetString());
        Assert.Equal(license, info.GetProperty("name").GetString());
    }

    [Fact]
    public void LowerCaseOperatorsAreMadeUpperCase()
    {
        Assert.Equal("MIT AND (BSD-2-Clause OR GPL-2.0-only WITH Linux-syscall-note)",
            SpdxLicense.Normalize("MIT and (BSD-2-Clause or GPL-2.0-only with Linux-syscall-note)"));
        var (package, root) = One(Entry("demo", "1.0-r0", ("L", "MIT and BSD-3-Clause")));
        Assert.Equal("MIT AND BSD-3-Clause", package.GetProperty("licenseDeclared").GetString());
        Assert.Contains("MIT and BSD-3-Clause", package.GetProperty("licenseComments").GetString());
        Assert.False(root.TryGetProperty("hasExtractedLicensingInfos", out _));
    }

    [Fact]
    public void NoLicenseIsNoAssertionAndLicenseRefsStayUnique()
    {
        var root = Document(Input([
            Entry("a", "1", ("L", "foo bar")),
            Entry("b", "1", ("L", "LicenseRef-foo-bar")),
            Entry("c", "1", ("L", "foo bar")),
            Entry("d", "1", ("L", "foo+bar")),
            Entry("e", "1"),
        ]));
        var declared = root.GetProperty("packages").EnumerateArray().Skip(1).Select(p => p.GetProperty("licenseDeclared").GetString());
        // The id an expression names is taken first; one id per distinct text.
        Assert.Equal(["LicenseRef-foo-bar-2", "LicenseRef-foo-bar", "LicenseRef-foo-bar-2", "LicenseRef-foo-bar-3", "NOASSERTION"], declared);
        var infos = root.GetProperty("hasExtractedLicensingInfos").EnumerateArray()
            .Select(i => (i.GetProperty("licenseId").GetString(), i.GetProperty("extractedText").GetString())).ToList();
        Assert.Equal([("LicenseRef-foo-bar", "LicenseRef-foo-bar"), ("LicenseRef-foo-bar-2", "foo bar"), ("LicenseRef-foo-bar-3", "foo+bar")], infos);
    }

    // ---- packages and relationships ---------------------------------------------------------------------------

    [Fact]
    public void IdsAreSanitisedAndUnique()
    {
        var root = Document(Input([Entry("a_b", "1.0_p1-r0"), Entry("a-b", "1.0_p1-r0"), Entry("a+b", "1.0-p1-r0"), Entry("Ünï", "2")]));
        Assert.Equal(["SPDXRef-Package-a-b-1.0-p1-r0", "SPDXRef-Package-a-b-1.0-p1-r0-2", "SPDXRef-Package-a-b-1.0-p1-r0-3", "SPDXRef-Package--n--2"],
            root.GetProperty("packages").EnumerateArray().Skip(1).Select(p => p.GetProperty("SPDXID").GetString()));
        var purls = root.GetProperty("packages").EnumerateArray().Skip(1).Select(Purl).ToList();
        Assert.Equal("pkg:apk/alpine/a%2Bb@1.0-p1-r0?arch=x86_64&distro=alpine-3.19.1", purls[2]);
        Assert.Equal("pkg:apk/alpine/%C3%BCn%C3%AF@2?arch=x86_64&distro=alpine-3.19.1", purls[3]);
    }

    [Fact]
    public void DependenciesFollowNamesAndProvidesButNotConflicts()
    {
        var root = Document(Input([
            Entry("app", "1", ("D", "lib>=2 so:libx.so.1 !old cmd:tool /bin/sh missing so:libapp.so lib~2 lib"), ("p", "so:libapp.so=1")),
            Entry("lib", "2.1", ("p", "so:libx.so.1=1.0")),
            Entry("old", "1"),
            Entry("tool", "3", ("p", "cmd:tool=3")),
            Entry("sh", "1", ("p", "/bin/sh cmd:tool=1")),
        ]));
        var relationships = Relationships(root);
        var ids = root.GetProperty("packages").EnumerateArray().Skip(1)
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("SPDXID").GetString()!);
        // cmd:tool is provided by tool and sh, both in the image; the self-provided so:libapp.so is no edge.
        Assert.Equal(["lib", "tool", "sh"], DependsOn(relationships, ids, "app"));
        Assert.Empty(DependsOn(relationships, ids, "lib"));
    }

    [Fact]
    public void PackageFieldsFollowTheIndexRecord()
    {
        var (package, _) = One(Entry("demo", "1.0-r0", ("m", "Jane Doe <jane@example.org>"), ("o", "demo-src"),
            ("U", "https://example.org/demo"), ("T", "A demo"), ("c", "abc123")), repository: "http://mirror.example/alpine/v3.19/main/x86_64/");
        Assert.Equal("Person: Jane Doe (jane@example.org)", package.GetProperty("supplier").GetString());
        Assert.Equal("http://mirror.example/alpine/v3.19/main/x86_64/demo-1.0-r0.apk", package.GetProperty("downloadLocation").GetString());
        Assert.Equal("origin demo-src, commit abc123", package.GetProperty("sourceInfo").GetString());
        Assert.Equal("https://example.org/demo", package.GetProperty("homepage").GetString());
        Assert.Equal("A demo", package.GetProperty("summary").GetString());
        // The checksums are of the data and control members, not of the .apk file: no packageFileName claims otherwise.
        Assert.False(package.TryGetProperty("packageFileName", out _));

        var (bare, _) = One(Entry("bare", "1", ("o", "bare-src")), repository: "file:///srv/repo/x86_64");
        Assert.Equal("NOASSERTION", bare.GetProperty("supplier").GetString());
        Assert.Equal("NOASSERTION", bare.GetProperty("originator").GetString());
        Assert.Equal("NOASSERTION", bare.GetProperty("downloadLocation").GetString());
        Assert.Equal("NOASSERTION", bare.GetProperty("licenseDeclared").GetString());
        Assert.Equal("origin bare-src", bare.GetProperty("sourceInfo").GetString());
        Assert.False(bare.TryGetProperty("homepage", out _));
        Assert.Equal(["SHA256"], Checksums(bare).Select(c => c.Algorithm)); // no C:, no SHA1
    }

    [Theory]
    [InlineData("x86_64", "web", "pkg:oci/web@sha256%3A{0}?arch=amd64")]
    [InlineData("aarch64", "web", "pkg:oci/web@sha256%3A{0}?arch=arm64")]
    [InlineData("armhf", "web", "pkg:oci/web@sha256%3A{0}?arch=arm")]
    [InlineData("armv7", "web", "pkg:oci/web@sha256%3A{0}?arch=arm")]
    [InlineData("x86", "web", "pkg:oci/web@sha256%3A{0}?arch=386")]
    [InlineData("riscv64", "web", "pkg:oci/web@sha256%3A{0}?arch=riscv64")]
    [InlineData("x86_64", "ghcr.io/Team/Web:1.2+b", "pkg:oci/web@sha256%3A{0}?arch=amd64&tag=1.2%2Bb")]
    public void TheImageHasAnOciPurl(string arch, string name, string purl)
    {
        var root = Document(Input([], name: name, arch: arch));
        var image = root.GetProperty("packages").EnumerateArray().Single();
        Assert.Equal(string.Format(purl, Manifest[7..]), Purl(image));
        Assert.Equal(name, image.GetProperty("name").GetString());
        Assert.Equal($"https://pkg2d.dev/spdx/{Uri.EscapeDataString(name)}/{Manifest[7..]}", root.GetProperty("documentNamespace").GetString());
    }

    [Fact]
    public void TheBytesAreUtf8WithoutBomEndedByANewLine()
    {
        var input = Input([Entry("demo", "1", ("L", "MIT and GPL-2.0+"), ("m", "Zoë <z@example.org>"))]);
        var bytes = SpdxDocument.Write(input);
        Assert.NotEqual(0xEF, bytes[0]);
        Assert.Equal((byte)'{', bytes[0]);
        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.DoesNotContain((byte)'\r', bytes);
        var text = new UTF8Encoding(false, true).GetString(bytes);
        Assert.Contains("Person: Zoë (z@example.org)", text);
        Assert.Contains("MIT AND GPL-2.0+", text);
        Assert.Equal(bytes, SpdxDocument.Write(input with { Packages = [.. input.Packages] }));
        Assert.NotEqual(bytes, SpdxDocument.Write(input with { Created = Created.AddSeconds(1) }));
    }

    [Theory]
    [InlineData("sha256:0123")]
    [InlineData("sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")]
    [InlineData("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef")]
    public void ABadDigestIsRefused(string digest)
    {
        Assert.Throws<ArgumentException>(() => SpdxDocument.Write(Input([]) with { ManifestDigest = digest }));
        Assert.Throws<ArgumentException>(() => SpdxDocument.Write(Input([]) with { Packages = [new SbomPackage(Entry("a", "1"), digest)] }));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    private static ApkIndexEntry Entry(string name, string version, params (string Key, string Value)[] fields) =>
        Entry(name, version, "/srv/repo/x86_64", fields);

    private static ApkIndexEntry Entry(string name, string version, string repository, params (string Key, string Value)[] fields) =>
        new([new('P', name), new('V', version), new('A', "x86_64"), .. fields.Select(f => new KeyValuePair<char, string>(f.Key[0], f.Value))], repository);

    private static (JsonElement Package, JsonElement Root) One(ApkIndexEntry entry, string? repository = null)
    {
        if (repository is not null)
            entry = new ApkIndexEntry(entry.Fields, repository);
        var root = Document(Input([entry]));
        return (root.GetProperty("packages")[1], root);
    }

    private static JsonElement Document(SbomInput input)
    {
        using var doc = Parse(SpdxDocument.Write(input));
        SchemaCheck(doc.RootElement);
        return doc.RootElement.Clone();
    }

    private static JsonDocument Parse(byte[] bytes) => JsonDocument.Parse(bytes);

    private static List<string> Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static List<(string Algorithm, string Value)> Checksums(JsonElement package) =>
        [.. package.GetProperty("checksums").EnumerateArray().Select(c => (c.GetProperty("algorithm").GetString()!, c.GetProperty("checksumValue").GetString()!))];

    private static string Purl(JsonElement package) =>
        package.GetProperty("externalRefs").EnumerateArray().Single(r => r.GetProperty("referenceType").GetString() == "purl")
            .GetProperty("referenceLocator").GetString()!;

    private static List<(string From, string Type, string To)> Relationships(JsonElement root) =>
        [.. root.GetProperty("relationships").EnumerateArray().Select(r => (r.GetProperty("spdxElementId").GetString()!,
            r.GetProperty("relationshipType").GetString()!, r.GetProperty("relatedSpdxElement").GetString()!))];

    private static List<string> DependsOn(List<(string From, string Type, string To)> relationships, Dictionary<string, string> ids, string name)
    {
        var names = ids.ToDictionary(p => p.Value, p => p.Key);
        return [.. relationships.Where(r => r.Type == "DEPENDS_ON" && r.From == ids[name]).Select(r => names[r.To])];
    }

    // ---- the SPDX 2.3 JSON schema's rules (spdx/spdx-spec schemas/spdx-schema-2-3.json), checked by hand ------------

    private static readonly string[] DocumentMembers =
    [
        "SPDXID", "annotations", "comment", "creationInfo", "dataLicense", "externalDocumentRefs", "hasExtractedLicensingInfos",
        "name", "revieweds", "spdxVersion", "documentNamespace", "documentDescribes", "packages", "files", "snippets", "relationships",
    ];

    private static readonly string[] PackageMembers =
    [
        "SPDXID", "annotations", "attributionTexts", "builtDate", "checksums", "comment", "copyrightText", "description",
        "downloadLocation", "externalRefs", "filesAnalyzed", "hasFiles", "homepage", "licenseComments", "licenseConcluded",
        "licenseDeclared", "licenseInfoFromFiles", "name", "originator", "packageFileName", "packageVerificationCode",
        "primaryPackagePurpose", "releaseDate", "sourceInfo", "summary", "supplier", "validUntilDate", "versionInfo",
    ];

    private static readonly string[] ChecksumAlgorithms =
    [
        "SHA1", "BLAKE3", "SHA3-384", "SHA256", "SHA384", "BLAKE2b-512", "BLAKE2b-256", "SHA3-512", "MD2", "ADLER32", "MD4",
        "SHA3-256", "BLAKE2b-384", "SHA512", "MD6", "MD5", "SHA224",
    ];

    private static readonly string[] ReferenceCategories = ["OTHER", "PERSISTENT-ID", "SECURITY", "PACKAGE-MANAGER"];

    private static readonly string[] Purposes =
        ["OTHER", "INSTALL", "ARCHIVE", "FIRMWARE", "APPLICATION", "FRAMEWORK", "LIBRARY", "CONTAINER", "SOURCE", "DEVICE", "OPERATING_SYSTEM", "FILE"];

    private static readonly string[] RelationshipTypes =
    [
        "VARIANT_OF", "COPY_OF", "PATCH_FOR", "TEST_DEPENDENCY_OF", "CONTAINED_BY", "DATA_FILE_OF", "OPTIONAL_COMPONENT_OF",
        "ANCESTOR_OF", "GENERATES", "CONTAINS", "OPTIONAL_DEPENDENCY_OF", "FILE_ADDED", "REQUIREMENT_DESCRIPTION_FOR",
        "DEV_DEPENDENCY_OF", "DEPENDENCY_OF", "BUILD_DEPENDENCY_OF", "DESCRIBES", "PREREQUISITE_FOR", "HAS_PREREQUISITE",
        "PROVIDED_DEPENDENCY_OF", "DYNAMIC_LINK", "DESCRIBED_BY", "METAFILE_OF", "DEPENDENCY_MANIFEST_OF", "PATCH_APPLIED",
        "RUNTIME_DEPENDENCY_OF", "TEST_OF", "TEST_TOOL_OF", "DEPENDS_ON", "SPECIFICATION_FOR", "FILE_MODIFIED",
        "DISTRIBUTION_ARTIFACT", "AMENDS", "DOCUMENTATION_OF", "GENERATED_FROM", "STATIC_LINK", "OTHER", "BUILD_TOOL_OF",
        "TEST_CASE_OF", "PACKAGE_OF", "DESCENDANT_OF", "FILE_DELETED", "EXPANDED_FROM_ARCHIVE", "DEV_TOOL_OF", "EXAMPLE_OF",
    ];

    private static readonly Regex SpdxId = new(@"^SPDXRef-[A-Za-z0-9.-]+$");
    private static readonly Regex LicenseRef = new(@"^LicenseRef-[A-Za-z0-9.-]+$");

    private static void SchemaCheck(JsonElement root)
    {
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        Members(root, DocumentMembers, "SPDXID", "creationInfo", "dataLicense", "name", "spdxVersion", "documentNamespace");
        Assert.Equal("SPDX-2.3", Text(root, "spdxVersion"));
        Assert.Equal("CC0-1.0", Text(root, "dataLicense"));
        Assert.Equal("SPDXRef-DOCUMENT", Text(root, "SPDXID"));
        Assert.NotEmpty(Text(root, "name"));
        var ns = new Uri(Text(root, "documentNamespace"), UriKind.Absolute);
        Assert.DoesNotContain("#", ns.OriginalString);

        var creation = root.GetProperty("creationInfo");
        Members(creation, ["comment", "created", "creators", "licenseListVersion"], "created", "creators");
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", Text(creation, "created"));
        var creators = creation.GetProperty("creators");
        Assert.NotEqual(0, creators.GetArrayLength());
        Assert.All(creators.EnumerateArray(), c => Assert.Matches(@"^(Tool|Person|Organization): \S", c.GetString()));

        var ids = new HashSet<string> { "SPDXRef-DOCUMENT" };
        var usedRefs = new HashSet<string>();
        foreach (var package in root.GetProperty("packages").EnumerateArray())
        {
            Members(package, PackageMembers, "SPDXID", "downloadLocation", "name");
            var id = Text(package, "SPDXID");
            Assert.Matches(SpdxId, id);
            Assert.True(ids.Add(id), $"duplicate SPDXID {id}");
            Assert.NotEmpty(Text(package, "name"));
            Assert.NotEmpty(Text(package, "downloadLocation"));
            foreach (var name in new[] { "versionInfo", "supplier", "originator", "homepage", "sourceInfo", "licenseConcluded",
                         "licenseDeclared", "licenseComments", "summary", "packageFileName", "primaryPackagePurpose" })
            {
                if (package.TryGetProperty(name, out var value))
                    Assert.Equal(JsonValueKind.String, value.ValueKind);
            }
            if (package.TryGetProperty("filesAnalyzed", out var analyzed))
            {
                Assert.True(analyzed.ValueKind is JsonValueKind.False or JsonValueKind.True);
                if (analyzed.ValueKind == JsonValueKind.False)
                    Assert.False(package.TryGetProperty("hasFiles", out _) || package.TryGetProperty("packageVerificationCode", out _));
            }
            foreach (var agent in new[] { "supplier", "originator" })
            {
                if (package.TryGetProperty(agent, out var value))
                    Assert.Matches(@"^(NOASSERTION|(Person|Organization): \S.*)$", value.GetString());
            }
            if (package.TryGetProperty("checksums", out var checksums))
            {
                foreach (var checksum in checksums.EnumerateArray())
                {
                    Members(checksum, ["algorithm", "checksumValue"], "algorithm", "checksumValue");
                    var algorithm = Text(checksum, "algorithm");
                    Assert.Contains(algorithm, ChecksumAlgorithms);
                    var hexLength = algorithm switch { "SHA1" => 40, "SHA256" => 64, _ => -1 };
                    Assert.Matches(hexLength < 0 ? "^[0-9a-f]+$" : $"^[0-9a-f]{{{hexLength}}}$", Text(checksum, "checksumValue"));
                }
            }
            if (package.TryGetProperty("externalRefs", out var refs))
            {
                foreach (var reference in refs.EnumerateArray())
                {
                    Members(reference, ["comment", "referenceCategory", "referenceLocator", "referenceType"],
                        "referenceCategory", "referenceLocator", "referenceType");
                    Assert.Contains(Text(reference, "referenceCategory"), ReferenceCategories);
                    Assert.DoesNotMatch(@"\s", Text(reference, "referenceLocator"));
                    if (Text(reference, "referenceType") == "purl")
                    {
                        Assert.Equal("PACKAGE-MANAGER", Text(reference, "referenceCategory"));
                        Assert.Matches(@"^pkg:[a-z]+/[A-Za-z0-9.\-_~%/]+@[A-Za-z0-9.\-_~%]+(\?[a-z_]+=[A-Za-z0-9.\-_~%]+(&[a-z_]+=[A-Za-z0-9.\-_~%]+)*)?$",
                            Text(reference, "referenceLocator"));
                    }
                }
            }
            if (package.TryGetProperty("primaryPackagePurpose", out var purpose))
                Assert.Contains(purpose.GetString(), Purposes);
            foreach (var name in new[] { "licenseConcluded", "licenseDeclared" })
            {
                if (!package.TryGetProperty(name, out var value))
                    continue;
                var expression = value.GetString()!;
                Assert.True(expression is "NONE" or "NOASSERTION" || IsExpression(expression), $"{name} '{expression}' is no expression");
                foreach (Match m in Regex.Matches(expression, @"(?<![:A-Za-z0-9.-])LicenseRef-[A-Za-z0-9.-]+"))
                    usedRefs.Add(m.Value);
            }
        }

        var defined = new HashSet<string>();
        if (root.TryGetProperty("hasExtractedLicensingInfos", out var infos))
        {
            foreach (var info in infos.EnumerateArray())
            {
                Members(info, ["comment", "crossRefs", "extractedText", "licenseId", "name", "seeAlsos"], "extractedText", "licenseId");
                Assert.Matches(LicenseRef, Text(info, "licenseId"));
                Assert.True(defined.Add(Text(info, "licenseId")));
                Assert.NotEmpty(Text(info, "extractedText"));
            }
        }
        Assert.Subset(defined, usedRefs);

        foreach (var described in root.GetProperty("documentDescribes").EnumerateArray())
            Assert.Contains(described.GetString()!, ids);
        foreach (var relationship in root.GetProperty("relationships").EnumerateArray())
        {
            Members(relationship, ["spdxElementId", "comment", "relatedSpdxElement", "relationshipType"],
                "spdxElementId", "relatedSpdxElement", "relationshipType");
            Assert.Contains(Text(relationship, "relationshipType"), RelationshipTypes);
            Assert.Contains(Text(relationship, "spdxElementId"), ids);
            Assert.Contains(Text(relationship, "relatedSpdxElement"), ids);
        }
    }

    private static void Members(JsonElement element, string[] allowed, params string[] required)
    {
        Assert.Equal(JsonValueKind.Object, element.ValueKind);
        var names = element.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var name in names)
            Assert.True(allowed.Contains(name), $"'{name}' is not an SPDX 2.3 member here");
        foreach (var name in required)
            Assert.True(names.Contains(name), $"'{name}' is required");
    }

    private static string Text(JsonElement element, string name)
    {
        var value = element.GetProperty(name);
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        return value.GetString()!;
    }

    /// <summary>SPDX 2.3 annex D's grammar as a small state machine, independent of the code under test.</summary>
    private static bool IsExpression(string text)
    {
        var operand = new Regex(@"^((DocumentRef-[A-Za-z0-9.-]+:)?LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.-]+\+?)$");
        var exception = new Regex(@"^[A-Za-z0-9.-]+$");
        var tokens = Regex.Matches(text, @"\(|\)|[^\s()]+").Select(m => m.Value).ToList();
        var depth = 0;
        var wantOperand = true;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var isOperator = token is "AND" or "OR" or "WITH";
            if (wantOperand)
            {
                if (token == "(")
                    depth++;
                else if (!isOperator && operand.IsMatch(token))
                    wantOperand = false;
                else
                    return false;
            }
            else if (token == ")")
            {
                if (--depth < 0)
                    return false;
            }
            else if (token == "WITH")
            {
                if (i + 1 >= tokens.Count || !exception.IsMatch(tokens[i + 1]) || tokens[i - 1] == ")" || tokens[i + 1] is "AND" or "OR" or "WITH")
                    return false;
                i++;
            }
            else if (token is "AND" or "OR")
                wantOperand = true;
            else
                return false;
        }
        return !wantOperand && depth == 0;
    }
}
