using System.Text;
using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary>
/// Seeded mutants of the sample manifest (samples/shop/meshdev.yaml): whatever the text, loading it either succeeds or throws
/// <see cref="ManifestException"/> whose every message is located (file, line ≥ 1, column ≥ 1) and is a sentence of ours,
/// not the parser's. The seeds are fixed, so a failure names a mutant that can be replayed.
/// </summary>
public sealed class ManifestFuzzTests
{
    private const int Mutants = 1_200;

    private const string Noise = " :-[]{},#&*!|>'\"%@`\t\n?<=~.";

    [Fact]
    public void Every_mutant_of_the_sample_manifest_loads_or_is_reported_at_a_line_and_column()
    {
        var samplePath = SamplePath();
        var sample = File.ReadAllText(samplePath);
        Assert.Equal(4, ManifestLoader.Parse(sample, samplePath).Services.Length);

        var invalid = 0;
        for (var seed = 0; seed < Mutants; seed++)
        {
            var mutant = Mutate(sample, new Random(seed));
            try
            {
                ManifestLoader.Parse(mutant, samplePath);
            }
            catch (ManifestException e)
            {
                invalid++;
                var lines = mutant.Split('\n').Length;
                foreach (var error in e.Errors)
                {
                    var where = $"seed {seed}: {error}";
                    Assert.True(error.Location.File == samplePath, where);
                    Assert.True(error.Location.Line >= 1 && error.Location.Line <= lines + 1, where);
                    Assert.True(error.Location.Column >= 1, where);
                    Assert.False(string.IsNullOrWhiteSpace(error.Message), where);
                    Assert.False(error.Message.StartsWith("While ", StringComparison.Ordinal), where);
                }
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed} threw {e.GetType().Name} instead of a located message: {e}");
            }
        }

        // Most mutants must be broken, or the test proves nothing about the error paths.
        Assert.True(invalid > Mutants / 2, $"only {invalid} of {Mutants} mutants were invalid");
    }

    /// <summary>One to three mutations, each chosen and placed by <paramref name="random"/>.</summary>
    private static string Mutate(string text, Random random)
    {
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            text = random.Next(10) switch
            {
                0 => FlipCharacters(text, random),
                1 => DeleteLine(text, random),
                2 => DuplicateLine(text, random),
                3 => Reindent(text, random),
                4 => InsertAnchorOrAlias(text, random),
                5 => InsertMergeKey(text, random),
                6 => text[..random.Next(text.Length)],
                7 => InsertNesting(text, random),
                8 => AddAliasBomb(text, random),
                _ => FlipCharacters(text, random),
            };
        }

        return text;
    }

    private static string FlipCharacters(string text, Random random)
    {
        var chars = text.ToCharArray();
        for (var n = random.Next(1, 6); n > 0 && chars.Length > 0; n--)
        {
            chars[random.Next(chars.Length)] = random.Next(4) == 0 ? (char)random.Next(1, 0x3000) : Noise[random.Next(Noise.Length)];
        }

        return new string(chars);
    }

    private static string DeleteLine(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        lines.RemoveAt(random.Next(lines.Count));
        return string.Join('\n', lines);
    }

    private static string DuplicateLine(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var at = random.Next(lines.Count);
        lines.Insert(random.Next(lines.Count), lines[at]);
        return string.Join('\n', lines);
    }

    private static string Reindent(string text, Random random)
    {
        var lines = text.Split('\n');
        var at = random.Next(lines.Length);
        var line = lines[at];
        lines[at] = random.Next(3) switch
        {
            0 => new string(' ', random.Next(1, 4)) + line,
            1 => line.TrimStart().PadLeft(line.TrimStart().Length + Math.Max(0, line.Length - line.TrimStart().Length - random.Next(1, 4))),
            _ => "\t" + line.TrimStart(' '),
        };
        return string.Join('\n', lines);
    }

    private static string InsertAnchorOrAlias(string text, Random random)
    {
        var lines = text.Split('\n');
        var at = random.Next(lines.Length);
        var colon = lines[at].IndexOf(": ", StringComparison.Ordinal);
        if (colon < 0)
        {
            return text;
        }

        var name = $"a{random.Next(3)}";
        lines[at] = random.Next(2) == 0
            ? lines[at][..(colon + 2)] + $"&{name} " + lines[at][(colon + 2)..]
            : lines[at][..(colon + 2)] + $"*{name}";
        return string.Join('\n', lines);
    }

    private static string InsertMergeKey(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var at = random.Next(lines.Count);
        var indent = lines[at].Length - lines[at].TrimStart(' ').Length;
        var value = random.Next(3) switch
        {
            0 => $"*a{random.Next(3)}",
            1 => $"[*a{random.Next(3)}, *a{random.Next(3)}]",
            _ => "{ idleTimeout: 5m }",
        };
        lines.Insert(at, $"{new string(' ', indent)}<<: {value}");
        return string.Join('\n', lines);
    }

    private static string InsertNesting(string text, Random random)
    {
        var depth = new[] { 10, 70, 1_000, 100_000 }[random.Next(4)];
        var open = random.Next(2) == 0 ? "[" : "{a: ";
        var nesting = new StringBuilder(depth * open.Length);
        for (var i = 0; i < depth; i++)
        {
            nesting.Append(open);
        }

        var at = random.Next(text.Length + 1);
        return text[..at] + nesting + text[at..];
    }

    private static string AddAliasBomb(string text, Random random)
    {
        var bomb = new StringBuilder("x-lol:\n  b0: &b0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        var levels = random.Next(3, 10);
        for (var level = 1; level <= levels; level++)
        {
            bomb.Append($"  b{level}: &b{level} [{string.Join(", ", Enumerable.Repeat($"*b{level - 1}", 10))}]\n");
        }

        var use = $"\n    args: *b{levels}";
        var at = text.IndexOf("\n    meshPort:", StringComparison.Ordinal);
        return bomb + (at < 0 ? text : text[..at] + use + text[at..]);
    }

    private static string SamplePath()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return Path.Combine(directory.FullName, "samples", "shop", "meshdev.yaml");
            }
        }

        throw new DirectoryNotFoundException($"no folder above {AppContext.BaseDirectory} holds MeshDev.sln");
    }
}
