using System.Text;

namespace Pkg2d.Image.Sbom;

/// <summary>Package URLs (github.com/package-url/purl-spec) of an image and of its Alpine packages.</summary>
public static class Purl
{
    /// <summary>
    /// `pkg:apk/alpine/&lt;name&gt;@&lt;version&gt;?arch=&lt;arch&gt;&amp;distro=alpine-&lt;release&gt;` (distro left out
    /// without a release). The apk type wants the name in lower case.
    /// </summary>
    public static string Apk(string name, string version, string arch, string? alpineRelease)
    {
        var purl = new StringBuilder("pkg:apk/alpine/");
        Encode(purl, name.ToLowerInvariant()).Append('@');
        Encode(purl, version).Append("?arch=");
        Encode(purl, arch);
        if (alpineRelease is not null)
            Encode(purl.Append("&distro="), "alpine-" + alpineRelease);
        return purl.ToString();
    }

    /// <summary>
    /// `pkg:oci/&lt;name&gt;@sha256%3A&lt;hex&gt;?arch=&lt;OCI arch&gt;`: the oci type's name is the last part of the
    /// repository name, in lower case; a `:tag` of the image name becomes the `tag` qualifier.
    /// </summary>
    public static string Oci(string imageName, string manifestDigest, string alpineArch)
    {
        var name = imageName[(imageName.LastIndexOf('/') + 1)..];
        string? tag = null;
        var at = name.IndexOf('@');
        if (at >= 0)
            name = name[..at];
        var colon = name.IndexOf(':');
        if (colon >= 0)
            (name, tag) = (name[..colon], name[(colon + 1)..]);
        var purl = new StringBuilder("pkg:oci/");
        Encode(purl, name.ToLowerInvariant()).Append('@');
        Encode(purl, manifestDigest).Append("?arch=");
        Encode(purl, OciArch(alpineArch));
        if (!string.IsNullOrEmpty(tag))
            Encode(purl.Append("&tag="), tag);
        return purl.ToString();
    }

    /// <summary>The OCI (GOARCH) name of an Alpine arch.</summary>
    public static string OciArch(string alpineArch) => alpineArch switch
    {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "armhf" or "armv7" => "arm",
        "x86" => "386",
        _ => alpineArch,
    };

    /// <summary>Percent-encodes the UTF-8 bytes of every character but the unreserved `A-Za-z0-9.-_~`.</summary>
    public static StringBuilder Encode(StringBuilder to, string text)
    {
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'-' or (byte)'_' or (byte)'~')
                to.Append((char)b);
            else
                to.Append('%').Append(Convert.ToHexString([b]));
        }
        return to;
    }

    public static string Encode(string text) => Encode(new StringBuilder(), text).ToString();
}
