using System.Net;
using System.Text;
using Pkg2d.Oci.Distribution;
using Pkg2d.Testing;

namespace Pkg2d.Oci.Tests;

/// <summary>How a registry's challenge is read, where credentials are looked for, and how its errors are told.</summary>
public class DistributionAuthTests
{
    [Fact]
    public void BearerChallengeKeepsCommasInsideQuotedScopes()
    {
        var challenge = Assert.Single(AuthChallenge.Parse(
            "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:team/gcc:pull,push\""));

        Assert.True(challenge.IsBearer);
        Assert.Equal("https://auth.example/token", challenge["realm"]);
        Assert.Equal("registry.example", challenge["service"]);
        Assert.Equal("repository:team/gcc:pull,push", challenge["scope"]);
    }

    [Fact]
    public void SeveralChallengesInOneHeaderAreSplitAtTheirSchemes()
    {
        var challenges = AuthChallenge.Parse("Basic realm=\"basic-realm\", Bearer realm=https://t.example/token, service=reg, error=\"insufficient_scope\"");

        Assert.Equal(["Basic", "Bearer"], challenges.Select(c => c.Scheme));
        Assert.Equal("basic-realm", challenges[0]["realm"]);
        Assert.Equal("https://t.example/token", challenges[1]["realm"]);
        Assert.Equal("reg", challenges[1]["SERVICE"]);
        Assert.Equal("insufficient_scope", challenges[1]["error"]);
    }

    [Fact]
    public void QuotedValuesUnescapeAndBrokenTailsAreIgnored()
    {
        var challenge = Assert.Single(AuthChallenge.Parse("basic realm=\"say \\\"hi\\\", then go\""));
        Assert.True(challenge.IsBasic);
        Assert.Equal("say \"hi\", then go", challenge["realm"]);

        Assert.Empty(AuthChallenge.Parse(""));
        Assert.Equal("Bearer", Assert.Single(AuthChallenge.Parse("Bearer realm=\"x\" \"stray")).Scheme);
    }

    [Fact]
    public void AnAuthFileGivenExplicitlyIsTheOnlyOneAndWinsOverTheEnvironment()
    {
        var environment = Environment(("REGISTRY_AUTH_FILE", "/env/auth.json"), ("XDG_RUNTIME_DIR", "/run/user/0"));

        Assert.Equal(["/given.json"], AuthFile.Candidates("/given.json", environment, "/home/u"));
        Assert.Equal(["/env/auth.json"], AuthFile.Candidates(null, environment, "/home/u"));
    }

    [Fact]
    public void WithoutOneTheFilesArePodmansThenDockers()
    {
        Assert.Equal(["/run/user/0/containers/auth.json", "/home/u/.config/containers/auth.json", "/home/u/.docker/config.json"],
            AuthFile.Candidates(null, Environment(("XDG_RUNTIME_DIR", "/run/user/0"), ("REGISTRY_AUTH_FILE", "")), "/home/u"));
        Assert.Equal(["/cfg/containers/auth.json", "/dc/config.json"],
            AuthFile.Candidates(null, Environment(("XDG_CONFIG_HOME", "/cfg"), ("DOCKER_CONFIG", "/dc")), "/home/u"));
    }

    [Fact]
    public void LookupTakesTheFirstFileThatKnowsTheRegistryAndTheMostSpecificKey()
    {
        using var dir = new TempDirectory();
        var podman = Write(dir, "auth.json", ("other.example", "o:o"));
        var docker = Write(dir, "config.json", ("https://reg.example:5000/v1/", "host:pw"), ("reg.example:5000/team", "team:pw"));

        var found = AuthFile.Lookup([dir.Combine("missing.json"), podman, docker], "reg.example:5000", "team/gcc");
        Assert.Equal(new FoundCredentials(new RegistryCredentials("team", "pw"), docker), found);

        Assert.Equal(new RegistryCredentials("host", "pw"), AuthFile.Lookup([podman, docker], "reg.example:5000", "elsewhere/gcc")?.Credentials);
        Assert.Null(AuthFile.Lookup([podman, docker], "unknown.example", "team/gcc"));
    }

    [Fact]
    public void AnExplicitFileMustExistAndBeWellFormed()
    {
        using var dir = new TempDirectory();
        var missing = dir.Combine("nope.json");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() => AuthFile.Lookup([missing], "r", "a", required: true)).Message);

        var broken = dir.Combine("broken.json");
        File.WriteAllText(broken, """{"auths": {"r": {"auth": "not base64!"}}}""");
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => AuthFile.Lookup([broken], "r", "a")).Message);
        File.WriteAllText(broken, "{");
        Assert.Contains(broken, Assert.Throws<InvalidDataException>(() => AuthFile.Lookup([broken], "r", "a")).Message);
    }

    [Fact]
    public void RegistryErrorsAreToldByTheirJsonBodyWhenThereIsOne()
    {
        Assert.Equal("401 UNAUTHORIZED: authentication required",
            RegistryException.Describe(HttpStatusCode.Unauthorized, "Unauthorized",
                """{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"""));
        Assert.Equal("400 DIGEST_INVALID: provided digest did not match uploaded content (sha256:ab); NAME_INVALID: invalid repository name",
            RegistryException.Describe(HttpStatusCode.BadRequest, "Bad Request",
                """{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content","detail":"sha256:ab"},{"code":"NAME_INVALID","message":"invalid repository name"}]}"""));
        Assert.Equal("404 Not Found", RegistryException.Describe(HttpStatusCode.NotFound, "Not Found", ""));
        Assert.Equal("502 Bad Gateway: upstream down", RegistryException.Describe(HttpStatusCode.BadGateway, "Bad Gateway", "upstream down\n"));
    }

    [Theory]
    [InlineData("127.0.0.1:5000/team", "127.0.0.1:5000", "team", "team/gcc")]
    [InlineData("registry.example/a/b/", "registry.example", "a/b", "a/b/gcc")]
    [InlineData("localhost:5000", "localhost:5000", "", "gcc")]
    public void TargetsAreRegistryAndNamespace(string text, string registry, string ns, string repository)
    {
        var target = RegistryTarget.Parse(text);
        Assert.Equal((registry, ns), (target.Registry, target.Namespace));
        Assert.Equal(repository, target.Repository("gcc"));
    }

    [Theory]
    [InlineData("https://registry.example/team")]
    [InlineData("registry.example/Team")]
    [InlineData("bad_host!/team")]
    [InlineData("registry.example/a//b")]
    public void MalformedTargetsAreRefused(string text) => Assert.Throws<ArgumentException>(() => RegistryTarget.Parse(text));

    [Fact]
    public void RepositoryAndTagNamesFollowTheDistributionGrammar()
    {
        var target = RegistryTarget.Parse("r.example/team");
        Assert.Contains("team/Dev", Assert.Throws<ArgumentException>(() => target.Repository("Dev")).Message);
        Assert.Equal("team/py3.12-dev__x", target.Repository("py3.12-dev__x"));
        Assert.True(RegistryTarget.IsValidTag("v1.2_3-rc"));
        Assert.False(RegistryTarget.IsValidTag(".hidden"));
        Assert.False(RegistryTarget.IsValidTag(new string('a', 129)));
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables) =>
        name => variables.Where(v => v.Name == name).Select(v => v.Value).FirstOrDefault();

    private static string Write(TempDirectory dir, string name, params (string Key, string UserPassword)[] entries)
    {
        var path = dir.Combine(name);
        var auths = string.Join(",", entries.Select(e => $"\"{e.Key}\": {{\"auth\": \"{Convert.ToBase64String(Encoding.UTF8.GetBytes(e.UserPassword))}\"}}"));
        File.WriteAllText(path, $"{{\"auths\": {{{auths}}}, \"credsStore\": \"desktop\"}}");
        return path;
    }
}
