using System.Security.Cryptography;
using System.Text;

namespace Pkg2d.Resolve.Tests;

/// <summary>
/// Small random indexes and worlds for comparing the solver with apk: a few names of two or three versions each,
/// dependencies with and without versions, conflicts, versioned and unversioned provides (sometimes on two `p:`
/// lines), provider priorities, install_if, replaces; worlds of one to three names, some virtual, some constrained.
/// The same seed always gives the same case (System.Random with a seed is stable across .NET versions).
/// </summary>
public static class RandomIndex
{
    private static readonly string[] Names = ["a", "b", "c", "d", "e", "f"];
    private static readonly string[] Virtuals = ["v", "w", "so:x"];
    private static readonly string[] Versions = ["1.0-r0", "2.0-r0", "3.0-r0", "2.0-r1"];
    private static readonly string[] Operators = ["=", ">=", "<", ">", "<=", "~"];

    /// <summary>The APKINDEX text and world of case <paramref name="seed"/>.</summary>
    public static (string Index, string[] World) Case(int seed)
    {
        var random = new Random(seed);
        var names = Names.Take(random.Next(2, Names.Length + 1)).ToArray();
        var virtuals = Virtuals.Take(random.Next(0, Virtuals.Length + 1)).ToArray();
        var index = new StringBuilder();
        var records = new List<string>();
        foreach (var name in names)
        {
            var versions = Versions.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).ToArray();
            foreach (var version in versions)
                records.Add(Record(random, name, version, names, virtuals));
        }
        // Index order is the order apk meets packages in: not always by name.
        if (random.Next(3) == 0)
            records = [.. records.OrderBy(_ => random.Next())];
        foreach (var record in records)
            index.Append(record);

        var world = new List<string>();
        var count = Math.Min(random.Next(1, 4), names.Length + virtuals.Length);
        while (world.Count < count)
        {
            var name = random.Next(4) == 0 && virtuals.Length > 0 ? Pick(random, virtuals) : Pick(random, names);
            if (world.Any(w => w.StartsWith(name, StringComparison.Ordinal) && (w.Length == name.Length || "<>=~".Contains(w[name.Length]))))
                continue;
            world.Add(random.Next(4) == 0 ? name + Pick(random, Operators) + Pick(random, Versions)[..3] : name);
        }
        return (index.ToString(), [.. world]);
    }

    private static string Record(Random random, string name, string version, string[] names, string[] virtuals)
    {
        var text = new StringBuilder();
        var checksum = Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes($"{name}-{version}")));
        text.Append($"C:Q1{checksum}\nP:{name}\nV:{version}\nA:x86_64\nS:1\nI:1\nT:{name}\n");
        var others = names.Where(n => n != name).ToArray();

        var depends = new List<string>();
        for (var i = random.Next(0, 3) - (random.Next(2) == 0 ? 1 : 0); i > 0; i--)
        {
            var target = random.Next(4) == 0 && virtuals.Length > 0 ? Pick(random, virtuals) : others.Length > 0 ? Pick(random, others) : name;
            depends.Add(random.Next(6) switch
            {
                0 => "!" + target,
                1 or 2 => target + Pick(random, Operators) + Pick(random, Versions)[..3],
                _ => target,
            });
        }
        if (depends.Count > 0)
            text.Append($"D:{string.Join(' ', depends.Distinct())}\n");

        var provides = new List<string>();
        for (var i = random.Next(0, 4) - 1; i > 0; i--)
        {
            var target = random.Next(3) == 0 && others.Length > 0 ? Pick(random, others) : virtuals.Length > 0 ? Pick(random, virtuals) : null;
            if (target is null)
                continue;
            provides.Add(random.Next(2) == 0 ? target : $"{target}={Pick(random, Versions)[..3]}");
        }
        if (provides.Count > 0)
        {
            // Sometimes on two p: lines: apk reads both.
            if (provides.Count > 1 && random.Next(3) == 0)
                text.Append($"p:{provides[0]}\np:{string.Join(' ', provides.Skip(1))}\n");
            else
                text.Append($"p:{string.Join(' ', provides)}\n");
            if (random.Next(3) == 0)
                text.Append($"k:{random.Next(1, 4)}\n");
        }

        if (random.Next(6) == 0 && others.Length > 0)
        {
            var conditions = others.OrderBy(_ => random.Next()).Take(random.Next(1, 3))
                .Select(c => random.Next(5) == 0 ? "!" + c : random.Next(5) == 0 ? c + ">=2.0" : c);
            text.Append($"i:{string.Join(' ', conditions)}\n");
        }
        if (random.Next(8) == 0 && others.Length > 0)
            text.Append($"r:{Pick(random, others)}\n");
        return text.Append('\n').ToString();
    }

    private static T Pick<T>(Random random, T[] items) => items[random.Next(items.Length)];
}
