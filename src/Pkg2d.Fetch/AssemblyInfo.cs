using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("Pkg2d.Fetch.Tests")]
