namespace Pkg2d.Image.Shell;

/// <summary>
/// The busybox applets the shell emulates, by name. A script that runs any other applet (or any program that is not
/// busybox) is pending.
/// </summary>
public static class BusyboxApplets
{
    private static readonly Dictionary<string, Applet> Emulated = new(
        FileApplets.All.Concat(TextApplets.All).Concat(AccountApplets.All).Concat(SystemApplets.All),
        StringComparer.Ordinal);

    public static Applet? Find(string name) => Emulated.GetValueOrDefault(name);

    public static IEnumerable<string> Names => Emulated.Keys;
}
