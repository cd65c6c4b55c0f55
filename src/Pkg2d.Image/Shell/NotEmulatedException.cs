namespace Pkg2d.Image.Shell;

/// <summary>
/// A script reached something the shell does not emulate (a program that is not an emulated applet, an option, a
/// host-unique value): the script stays pending and nothing it did is kept.
/// </summary>
public sealed class NotEmulatedException(string reason) : Exception(reason);
