namespace Pkg2d.Image.Shell;

// TRE's treatment of what a match can go around without consuming anything.
internal sealed partial class PosixRegex
{
    /// <summary>
    /// TRE's way with assertions a match may go around. TRE's automaton only moves on characters: an assertion is
    /// checked on the step into the next character (or into the end), and the steps that skip a subexpression
    /// matching nothing carry the assertions of one fixed empty path through it (tre_match_empty: the left branch
    /// of an alternation when it can be empty, the inside of a repetition when it can be empty). So `\&gt;*b`,
    /// `(^)*b` and `a($|x)?b` require the assertion, where a backtracking engine would skip it. This rewrite makes
    /// each subexpression either consume (<see cref="NonEmpty"/>) or take that empty path (<see cref="EmptyPath"/>).
    /// </summary>
    private static class EmptyPaths
    {
        private const int SizeLimit = 20_000;

        /// <summary>
        /// Whether the rewrite changes anything: an assertion the match may go around (under a repetition or in an
        /// alternation), or a repetition of something that can match nothing (.NET may end it with an empty round,
        /// which changes the group's capture: `\(b*\)\+` on `bb` captures `bb` in TRE).
        /// </summary>
        public static bool Needed(Node node, bool inChoice = false) => node switch
        {
            Assertion => inChoice,
            Group group => Needed(group.Inner, inChoice),
            Sequence sequence => sequence.Items.Any(i => Needed(i, inChoice)),
            Alternation alternation => alternation.Branches.Any(b => Needed(b, true)),
            Repeat repeat => Nullable(repeat.Inner) || Needed(repeat.Inner, true),
            _ => false,
        };

        public static Node Rewrite(Node root)
        {
            var rewritten = Full(root, new Dictionary<Node, Node>(ReferenceEqualityComparer.Instance));
            return Size(rewritten) > SizeLimit
                ? throw new NotEmulatedException("a regular expression with that many optional assertions is not emulated")
                : rewritten;
        }

        private static bool Nullable(Node node) => node switch
        {
            Literal or AnyChar or BackReference or Fail => false,
            Group group => Nullable(group.Inner),
            Sequence sequence => sequence.Items.All(Nullable),
            Alternation alternation => alternation.Branches.Any(Nullable),
            Repeat repeat => repeat.Min == 0 || repeat.Max == 0 || Nullable(repeat.Inner),
            _ => true, // assertions
        };

        /// <summary>Every match, the empty one through the node's fixed empty path.</summary>
        private static Node Full(Node node, Dictionary<Node, Node> cache)
        {
            if (cache.TryGetValue(node, out var full))
                return full;
            var nonEmpty = NonEmpty(node, cache);
            full = !Nullable(node) ? nonEmpty
                : nonEmpty is Fail ? EmptyPath(node)
                : new Alternation([nonEmpty, EmptyPath(node)]);
            cache[node] = full;
            return full;
        }

        /// <summary>tre_match_empty: the assertions (and empty groups) of the path that matches nothing.</summary>
        private static Node EmptyPath(Node node) => node switch
        {
            Group group => new Group(group.Index, EmptyPath(group.Inner)),
            Sequence sequence => new Sequence([.. sequence.Items.Select(EmptyPath)]),
            Alternation alternation => EmptyPath(alternation.Branches.First(Nullable)),
            Repeat repeat => repeat.Max != 0 && Nullable(repeat.Inner) ? EmptyPath(repeat.Inner) : new Sequence([]),
            _ => node, // an assertion
        };

        /// <summary>The matches that take at least one character.</summary>
        private static Node NonEmpty(Node node, Dictionary<Node, Node> cache)
        {
            switch (node)
            {
                case Literal or AnyChar or BackReference or Fail:
                    return node;
                case Group group:
                    return NonEmpty(group.Inner, cache) is Fail ? new Fail() : new Group(group.Index, NonEmpty(group.Inner, cache));
                case Sequence sequence:
                    // The first item that takes a character; those before it take their empty paths.
                    var branches = new List<Node>();
                    var before = new List<Node>();
                    for (var i = 0; i < sequence.Items.Count; i++)
                    {
                        var first = NonEmpty(sequence.Items[i], cache);
                        if (first is not Fail)
                            branches.Add(new Sequence([.. before, first, .. sequence.Items.Skip(i + 1).Select(item => Full(item, cache))]));
                        if (!Nullable(sequence.Items[i]))
                            break;
                        before.Add(EmptyPath(sequence.Items[i]));
                    }
                    return Choice(branches);
                case Alternation alternation:
                    return Choice([.. alternation.Branches.Select(b => NonEmpty(b, cache)).Where(b => b is not Fail)]);
                case Repeat { Max: 0 }:
                    return new Fail();
                case Repeat { Min: <= 1, Max: -1 or 1 } repeat:
                    // `*`, `+` and `?` stay iterations in TRE: each round takes a character.
                    var inner = NonEmpty(repeat.Inner, cache);
                    return inner is Fail ? inner : repeat.Max == 1 ? inner : new Repeat(inner, 1, -1);
                case Repeat repeat:
                    return NonEmpty(Expand(repeat), cache);
                default:
                    return new Fail(); // an assertion
            }
        }

        private static Node Choice(List<Node> branches) => branches.Count switch
        {
            0 => new Fail(),
            1 => branches[0],
            _ => new Alternation(branches),
        };

        /// <summary>tre_expand_ast: `A{m,n}` as m copies, then (n-m) nested optional copies `(|A(|A))` (or `A*` without n).</summary>
        private static Node Expand(Repeat repeat)
        {
            var items = Enumerable.Repeat(repeat.Inner, repeat.Min).ToList();
            if (repeat.Max < 0)
            {
                items.Add(new Repeat(repeat.Inner, 0, -1));
            }
            else
            {
                Node? optional = null;
                for (var j = repeat.Min; j < repeat.Max; j++)
                {
                    // TRE puts the empty branch first: skipping an optional copy asserts nothing.
                    var copy = optional is null ? repeat.Inner : new Sequence([repeat.Inner, optional]);
                    optional = new Alternation([new Sequence([]), copy]);
                }
                if (optional is not null)
                    items.Add(optional);
            }
            return new Sequence(items);
        }

        private static int Size(Node node) => node switch
        {
            Group group => 1 + Size(group.Inner),
            Sequence sequence => 1 + sequence.Items.Sum(Size),
            Alternation alternation => 1 + alternation.Branches.Sum(Size),
            Repeat repeat => 1 + Size(repeat.Inner),
            _ => 1,
        };
    }
}
