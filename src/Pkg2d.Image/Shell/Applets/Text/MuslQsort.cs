using System.Numerics;

namespace Pkg2d.Image.Shell;

/// <summary>
/// musl's qsort (smoothsort, src/stdlib/qsort.c), element for element: it is not stable, and busybox's cut sorts
/// ranges that compare equal with it, so only the same algorithm leaves them in the same order.
/// </summary>
internal static class MuslQsort
{
    public static void Sort<T>(IList<T> items, Comparison<T> compare)
    {
        var nel = items.Count;
        if (nel == 0)
            return;
        var lp = new List<int> { 1, 1 };
        while (lp[^2] + lp[^1] + 1 < nel)
            lp.Add(lp[^2] + lp[^1] + 1);
        lp.Add(lp[^2] + lp[^1] + 1);
        var sorter = new Sorter<T>(items, compare, [.. lp]);
        sorter.Run();
    }

    private sealed class Sorter<T>(IList<T> items, Comparison<T> compare, int[] lp)
    {
        private readonly ulong[] _p = [1, 0];

        public void Run()
        {
            var (head, high) = (0, items.Count - 1);
            var pshift = 1;
            while (head < high)
            {
                if ((_p[0] & 3) == 3)
                {
                    Sift(head, pshift);
                    Shr(_p, 2);
                    pshift += 2;
                }
                else
                {
                    if (lp[pshift - 1] >= high - head)
                        Trinkle(head, _p, pshift, false);
                    else
                        Sift(head, pshift);
                    if (pshift == 1)
                    {
                        Shl(_p, 1);
                        pshift = 0;
                    }
                    else
                    {
                        Shl(_p, pshift - 1);
                        pshift = 1;
                    }
                }
                _p[0] |= 1;
                head++;
            }
            Trinkle(head, _p, pshift, false);
            while (pshift != 1 || _p[0] != 1 || _p[1] != 0)
            {
                if (pshift <= 1)
                {
                    var trail = Pntz(_p);
                    Shr(_p, trail);
                    pshift += trail;
                }
                else
                {
                    Shl(_p, 2);
                    pshift -= 2;
                    _p[0] ^= 7;
                    Shr(_p, 1);
                    Trinkle(head - lp[pshift] - 1, _p, pshift + 1, true);
                    Shl(_p, 1);
                    _p[0] |= 1;
                    Trinkle(head - 1, _p, pshift, true);
                }
                head--;
            }
        }

        private int Cmp(int a, int b) => compare(items[a], items[b]);

        /// <summary>cycle(): each position takes the value of the next one, the last takes the first's.</summary>
        private void Cycle(List<int> ar)
        {
            if (ar.Count < 2)
                return;
            var first = items[ar[0]];
            for (var i = 0; i < ar.Count - 1; i++)
                items[ar[i]] = items[ar[i + 1]];
            items[ar[^1]] = first;
        }

        private void Sift(int head, int pshift)
        {
            var ar = new List<int> { head };
            while (pshift > 1)
            {
                var rt = head - 1;
                var lf = head - 1 - lp[pshift - 2];
                if (Cmp(ar[0], lf) >= 0 && Cmp(ar[0], rt) >= 0)
                    break;
                if (Cmp(lf, rt) >= 0)
                {
                    ar.Add(lf);
                    head = lf;
                    pshift -= 1;
                }
                else
                {
                    ar.Add(rt);
                    head = rt;
                    pshift -= 2;
                }
            }
            Cycle(ar);
        }

        private void Trinkle(int head, ulong[] pp, int pshift, bool trusty)
        {
            ulong[] p = [pp[0], pp[1]];
            var ar = new List<int> { head };
            while (p[0] != 1 || p[1] != 0)
            {
                var stepson = head - lp[pshift];
                if (Cmp(stepson, ar[0]) <= 0)
                    break;
                if (!trusty && pshift > 1)
                {
                    var rt = head - 1;
                    var lf = head - 1 - lp[pshift - 2];
                    if (Cmp(rt, stepson) >= 0 || Cmp(lf, stepson) >= 0)
                        break;
                }
                ar.Add(stepson);
                head = stepson;
                var trail = Pntz(p);
                Shr(p, trail);
                pshift += trail;
                trusty = false;
            }
            if (!trusty)
            {
                Cycle(ar);
                Sift(head, pshift);
            }
        }

        private static int Pntz(ulong[] p)
        {
            var r = BitOperations.TrailingZeroCount(p[0] - 1);
            if (r != 0 || (r = 64 + BitOperations.TrailingZeroCount(p[1])) != 64)
                return r;
            return 0;
        }

        private static void Shl(ulong[] p, int n)
        {
            if (n >= 64)
            {
                n -= 64;
                p[1] = p[0];
                p[0] = 0;
            }
            p[1] <<= n;
            p[1] |= n == 0 ? 0 : p[0] >> (64 - n);
            p[0] <<= n;
        }

        private static void Shr(ulong[] p, int n)
        {
            if (n >= 64)
            {
                n -= 64;
                p[0] = p[1];
                p[1] = 0;
            }
            p[0] >>= n;
            p[0] |= n == 0 ? 0 : p[1] << (64 - n);
            p[1] >>= n;
        }
    }
}
