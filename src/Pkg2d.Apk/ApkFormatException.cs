namespace Pkg2d.Apk;

/// <summary>Input that is not valid APK data (index, package, signature). The message names the file at fault.</summary>
public class ApkFormatException(string message, Exception? inner = null) : Exception(message, inner);
