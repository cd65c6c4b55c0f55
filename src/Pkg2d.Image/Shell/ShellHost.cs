using Pkg2d.Image.Root;

namespace Pkg2d.Image.Shell;

/// <summary>
/// The system scripts run on: the root's files, the accounts in its etc/passwd, etc/group and etc/shadow (as the
/// root's busybox edits them), and the bound on the work one script may do.
/// </summary>
public sealed class ShellHost(RootFiles files, long day, string defaultGecos = AccountDatabase.OldDefaultGecos)
{
    private const string Passwd = "etc/passwd", Group = "etc/group", Shadow = "etc/shadow";

    /// <summary>Commands one script may run (loop iterations, function calls and commands all count).</summary>
    public const int StepLimit = 200_000;

    /// <summary>Characters one value may hold (a variable, a word, a command's output): far beyond any real script's, so more is a runaway.</summary>
    public const int ValueLimit = 16 << 20;

    /// <summary>Bytes one file a script writes may hold: install scripts write configuration, not disk images.</summary>
    public const int FileLimit = 64 << 20;

    /// <summary>Characters one script may expand in all (real ones expand well under 1 Mi): bounds loops that grow a value bit by bit.</summary>
    public const int ExpansionLimit = 32 << 20;

    private (RootNode? Passwd, RootNode? Group, RootNode? Shadow, AccountDatabase Accounts)? _accounts;

    public RootFiles Files { get; } = files;

    /// <summary>The day adduser writes into etc/shadow as the last password change (days since 1970).</summary>
    public long Day { get; } = day;

    /// <summary>The gecos adduser writes without -g (busybox 1.36: `Linux User,,,`; 1.37: empty).</summary>
    public string DefaultGecos { get; set; } = defaultGecos;

    /// <summary>Steps taken by the running script, checked against <see cref="StepLimit"/>.</summary>
    public int Steps { get; set; }

    /// <summary>Characters the running script has expanded, checked against <see cref="ExpansionLimit"/>.</summary>
    public long Expanded { get; set; }

    /// <summary>The accounts as the files stand now (parsed again only when one of the files changed).</summary>
    public AccountDatabase Accounts
    {
        get
        {
            var (passwd, group, shadow) = (Node(Passwd), Node(Group), Node(Shadow));
            if (_accounts is not { } cached || !ReferenceEquals(cached.Passwd, passwd) || !ReferenceEquals(cached.Group, group) || !ReferenceEquals(cached.Shadow, shadow))
            {
                var accounts = AccountDatabase.Parse(Content(Passwd), Content(Group), Content(Shadow), DefaultGecos);
                _accounts = cached = (passwd, group, shadow, accounts);
            }
            return cached.Accounts;
        }
    }

    /// <summary>
    /// Writes what an account command changed back to the files: busybox rewrites each file in place, keeping its
    /// mode and owner (a new etc/shadow is 0640 root:shadow).
    /// </summary>
    public void SaveAccounts(AccountDatabase accounts)
    {
        Save(Passwd, accounts.Passwd, 0b110_100_100, 0);
        Save(Group, accounts.Group, 0b110_100_100, 0);
        Save(Shadow, accounts.Shadow, 0b110_100_000, accounts.Gid("shadow") ?? 0);
        _accounts = (Node(Passwd), Node(Group), Node(Shadow), accounts);
    }

    private void Save(string path, byte[]? content, int mode, int gid)
    {
        if (content is null)
            return;
        var real = Files.Tree.Resolve(path);
        var existing = Files[real];
        if (existing is { Source: GeneratedSource old } && old.Content.AsSpan().SequenceEqual(content))
            return;
        Files.Set(real, existing is { Kind: NodeKind.File }
            ? existing with { Source = new GeneratedSource(content) }
            : RootNode.Generated(content, mode, 0, gid));
    }

    private RootNode? Node(string path) => Files[Files.Tree.Resolve(path)];

    private byte[]? Content(string path) => Node(path) is { Kind: NodeKind.File } ? Files.Read(Files.Tree.Resolve(path)) : null;
}
