namespace MeshDev.Catalog;

/// <summary>The known name closest to a mistyped one, for "did you mean …?" hints in manifest and command-line messages.</summary>
public static class NearestName
{
    /// <summary>
    /// The name in <paramref name="known"/> with the fewest edits from <paramref name="typed"/> (letters compared without case),
    /// or null when even that one is too far to be a typo of it.
    /// </summary>
    public static string? Find(string typed, IEnumerable<string> known)
    {
        var limit = MaxEdits(typed);
        string? best = null;
        var bestEdits = limit + 1;
        foreach (var name in known)
        {
            // A length difference alone costs that many edits; skipping early keeps a huge mistyped key cheap.
            if (Math.Abs(name.Length - typed.Length) >= bestEdits)
            {
                continue;
            }

            var edits = Edits(typed.ToLowerInvariant(), name.ToLowerInvariant());
            if (edits < bestEdits)
            {
                (best, bestEdits) = (name, edits);
            }
        }

        return best;
    }

    // A third of the word, at least one edit: 'comand' finds 'command', but 'admin' is not a typo of 'xds'.
    private static int MaxEdits(string typed) => Math.Max(1, typed.Length / 3);

    /// <summary>Insertions, deletions, substitutions and swaps of two neighbours (the optimal string alignment distance).</summary>
    private static int Edits(string a, string b)
    {
        var previous2 = new int[b.Length + 1];
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    current[j] = Math.Min(current[j], previous2[j - 2] + 1);
                }
            }

            (previous2, previous, current) = (previous, current, previous2);
        }

        return previous[b.Length];
    }
}
