namespace Pkg2d.Resolve;

/// <summary>
/// Which apk-tools a repository is installed with: 2.x (Alpine up to 3.22) or 3.x (3.23 and later). They resolve
/// the same worlds alike but not every corner, and install differently; an image follows its repositories'.
/// </summary>
public enum ApkToolsGeneration
{
    V2 = 2,
    V3 = 3,
}
