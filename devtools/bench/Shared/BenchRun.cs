using System.Globalization;
using System.Runtime.InteropServices;

namespace MeshDev.Bench.Shared;

// What both hand-run benchmarks (MeshDev.Bench, MeshDev.DockerBench) need around their measurements: linked into both
// projects (see their .csproj), not a library of its own.

/// <summary>A bench failure with a one-line message for the console (exit code 1).</summary>
internal sealed class BenchException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Cancels the run on the first SIGINT, SIGTERM or SIGHUP (saying so once), so that cleanup runs instead of an abrupt exit.</summary>
internal sealed class BenchCancellation : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signals;

    /// <param name="onFirstSignal">What the bench does now, e.g. "stopping everything the bench started…".</param>
    public BenchCancellation(string onFirstSignal)
    {
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Increment(ref _signals) == 1)
            {
                Console.Error.WriteLine($"\n{context.Signal}: {onFirstSignal}");
                _cancel.Cancel();
            }
        }

        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal),
        ];
    }

    public CancellationToken Token => _cancel.Token;

    public bool IsCancellationRequested => _cancel.IsCancellationRequested;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cancel.Dispose();
    }
}

/// <summary>
/// The run's scratch directory: <c>MESHDEV_BENCH_TMP</c> when set (run.sh and run-docker.sh set it, and kill what it lists
/// if the bench dies), else a new temporary directory, deleted on dispose.
/// </summary>
internal sealed class ScratchDirectory : IDisposable
{
    private readonly bool _own;

    public ScratchDirectory(string prefix)
    {
        var given = Environment.GetEnvironmentVariable("MESHDEV_BENCH_TMP");
        _own = string.IsNullOrEmpty(given);
        Path = _own ? Directory.CreateTempSubdirectory(prefix).FullName : System.IO.Path.GetFullPath(given!);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        if (_own)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>Reads a bench's command line one option at a time; the errors name the option (exit code 2 with the usage).</summary>
internal sealed class BenchArguments(string[] args)
{
    private int _next;

    /// <summary>The next option name, or false at the end.</summary>
    public bool Next(out string option)
    {
        if (_next >= args.Length)
        {
            option = "";
            return false;
        }

        option = args[_next++];
        return true;
    }

    /// <summary>The value after the current option.</summary>
    public string Value() => _next < args.Length ? args[_next++] : throw new BenchException($"{args[_next - 1]} needs a value");

    /// <summary>The value after the current option as a whole number of at least <paramref name="min"/>.</summary>
    public int Number(int min)
    {
        var option = args[_next - 1];
        return int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new BenchException($"{option} needs a number ≥ {min}");
    }
}

/// <summary>The repository the bench was built in (its output directory lies below MeshDev.sln).</summary>
internal static class Repository
{
    public static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "MeshDev.sln")))
            {
                return directory.FullName;
            }
        }

        throw new BenchException($"no MeshDev.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Where a bench's report goes: printed, and written to --results PATH, or devtools/bench/{file} by default ('-': nowhere).</summary>
internal static class BenchReport
{
    public static async Task PrintAndWriteAsync(string report, string? results, string repositoryRoot, string file)
    {
        Console.WriteLine(report);
        var path = results ?? Path.Combine(repositoryRoot, "devtools", "bench", file);
        if (path != "-")
        {
            await File.WriteAllTextAsync(path, report, CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"written to {path}");
        }
    }
}
