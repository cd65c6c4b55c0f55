using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Pkg2d.Oci.Distribution;

/// <summary>
/// What a registry asked for and what to answer: nothing (anonymous), Basic with the repository's credentials, or
/// a Bearer token fetched from the challenge's realm for the scopes a request needs (the distribution token flow),
/// cached per set of scopes.
/// </summary>
internal sealed class RegistryAuth(HttpClient http, string registry, Func<string, RegistryCredentials?> credentials, TimeSpan timeout)
{
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private AuthChallenge? _challenge;

    /// <summary>Remembers the challenge of a 401 answer; false when a retry would not change anything.</summary>
    public bool Learn(HttpResponseMessage response, string repository, ref IReadOnlyList<string> scopes)
    {
        var challenges = response.Headers.NonValidated.TryGetValues("WWW-Authenticate", out var values)
            ? values.SelectMany(AuthChallenge.Parse).ToArray()
            : [];
        var challenge = challenges.FirstOrDefault(c => c.IsBearer) ?? challenges.FirstOrDefault(c => c.IsBasic);
        if (challenge is null)
            return false;
        var known = _challenge;
        _challenge = challenge;
        if (challenge.IsBasic)
            return known is null && credentials(repository) is not null; // a Basic answer was already sent otherwise
        // A token that was refused is forgotten; the challenge may name scopes the request needs beyond ours.
        _tokens.Remove(Key(scopes));
        if (challenge["scope"] is { Length: > 0 } asked)
            scopes = [.. scopes.Union(asked.Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal)];
        return true;
    }

    /// <summary>Sets the Authorization header the last challenge calls for.</summary>
    public async Task AuthorizeAsync(HttpRequestMessage request, string repository, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        if (_challenge is null)
            return;
        if (_challenge.IsBasic)
        {
            if (credentials(repository) is { } basic)
                request.Headers.Authorization = Basic(basic);
            return;
        }
        var key = Key(scopes);
        if (!_tokens.TryGetValue(key, out var token))
            _tokens[key] = token = await FetchTokenAsync(_challenge, repository, scopes, cancellationToken).ConfigureAwait(false);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>GET realm?service=…&amp;scope=… with Basic credentials when there are any; the answer's <c>token</c> or <c>access_token</c>.</summary>
    private async Task<string> FetchTokenAsync(AuthChallenge challenge, string repository, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        if (challenge["realm"] is not { Length: > 0 } realm || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryException($"{registry} asks for a Bearer token without a valid realm ('{challenge["realm"]}')");
        var query = new List<string>();
        if (challenge["service"] is { Length: > 0 } service)
            query.Add("service=" + Uri.EscapeDataString(service));
        var basic = credentials(repository);
        if (basic is not null)
            query.Add("account=" + Uri.EscapeDataString(basic.Username));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var builder = new UriBuilder(realmUri);
        builder.Query = string.Join('&', (builder.Query.Length > 1 ? [builder.Query[1..]] : Array.Empty<string>()).Concat(query));

        using var request = new HttpRequestMessage(HttpMethod.Get, builder.Uri);
        if (basic is not null)
            request.Headers.Authorization = Basic(basic);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        string body;
        HttpStatusCode status;
        string? reason;
        try
        {
            using var response = await http.SendAsync(request, timeoutSource.Token).ConfigureAwait(false);
            (status, reason) = (response.StatusCode, response.ReasonPhrase);
            body = await response.Content.ReadAsStringAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RegistryException($"getting a token from {realmUri.GetLeftPart(UriPartial.Path)}: no answer in {timeout.TotalSeconds:0} s");
        }
        if (status != HttpStatusCode.OK)
            throw new RegistryException($"getting a token from {realmUri.GetLeftPart(UriPartial.Path)}: {RegistryException.Describe(status, reason, body)}", status);
        return ReadToken(body) ?? throw new RegistryException($"the token answer of {realmUri.GetLeftPart(UriPartial.Path)} has no token");
    }

    private static string? ReadToken(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            foreach (var name in new[] { "token", "access_token" })
            {
                if (document.RootElement.TryGetProperty(name, out var token) && token.GetString() is { Length: > 0 } value)
                    return value;
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static AuthenticationHeaderValue Basic(RegistryCredentials credentials) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));

    private static string Key(IReadOnlyList<string> scopes) => string.Join(' ', scopes.Order(StringComparer.Ordinal));
}
