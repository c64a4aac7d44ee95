using System.Diagnostics;
using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using MeshDev.Kubernetes.Tests.ApiServer;

namespace MeshDev.ClusterBench;

/// <summary>One file of the FROM-scratch image: the binary, or a library it links against (the loader included).</summary>
internal sealed record ImageFile(string Path, long Bytes);

/// <summary>Resident memory of one gateway process, from /proc/PID/status, in MiB.</summary>
internal sealed record GatewayMemory(string Where, double RssMiB, double PeakRssMiB);

internal sealed record FootprintResult(string Binary, IReadOnlyList<ImageFile> Files, long CompressedBytes, GatewayMemory? Idle, int IdlePorts)
{
    public long UncompressedBytes => Files.Sum(f => f.Bytes);
}

/// <summary>
/// Measure 4: the in-cluster part. Its image is FROM scratch with the NativeAOT gateway and the shared libraries
/// <c>ldd</c> names (the layout of src/MeshDev.Gateway's publish): its size is the sum of those files (what the image's
/// one layer holds; <c>docker images</c> shows about that) and the gzip'd tar of them (what a registry stores and a
/// node pulls). Its memory: VmRSS of the binary, started alone with many mesh ports and no link, after it has listened
/// for a few seconds; and of the gateways in the bench's pods, link connected, before and after the load.
/// </summary>
internal static partial class GatewayFootprint
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    public static async Task<FootprintResult> MeasureAsync(string binary, int ports, CancellationToken cancellationToken)
    {
        var files = await ImageFilesAsync(binary, cancellationToken).ConfigureAwait(false);
        var compressed = await CompressedSizeAsync(files, cancellationToken).ConfigureAwait(false);
        var idle = await IdleRssAsync(binary, ports, cancellationToken).ConfigureAwait(false);
        return new FootprintResult(binary, files, compressed, idle, ports);
    }

    /// <summary>The gateway processes running in a pod's namespace now, and their memory.</summary>
    public static async Task<IReadOnlyList<GatewayMemory>> InPodAsync(PodNetwork pod, string where)
    {
        var found = new List<GatewayMemory>();
        foreach (var pid in await pod.ProcessesAsync().ConfigureAwait(false))
        {
            if (ReadMemory(pid, where) is { } memory && ProcessName(pid) == "meshdev-gateway")
            {
                found.Add(memory);
            }
        }

        return found;
    }

    private static async Task<IReadOnlyList<ImageFile>> ImageFilesAsync(string binary, CancellationToken cancellationToken)
    {
        var ldd = await HostCommand.RunAsync(Wrk.Find("ldd"), [binary], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (ldd.ExitCode != 0)
        {
            throw new BenchException($"ldd {binary} failed: {ldd.Error.Trim()}{ldd.Output.Trim()}");
        }

        var files = new List<ImageFile> { new(binary, new FileInfo(binary).Length) };
        foreach (Match match in LibraryPath().Matches(ldd.Output))
        {
            // The image holds each library's content at the path ldd names (a copy follows symbolic links).
            var path = match.Value;
            var target = File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path;
            files.Add(new ImageFile(path, new FileInfo(target).Length));
        }

        return files;
    }

    private static async Task<long> CompressedSizeAsync(IReadOnlyList<ImageFile> files, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var file in files)
            {
                var source = File.ResolveLinkTarget(file.Path, returnFinalTarget: true)?.FullName ?? file.Path;
                await tar.WriteEntryAsync(source, file.Path.TrimStart('/'), cancellationToken).ConfigureAwait(false);
            }
        }

        return buffer.Length;
    }

    private static async Task<GatewayMemory> IdleRssAsync(string binary, int ports, CancellationToken cancellationToken)
    {
        var mesh = FreePorts(ports + 1);
        var start = new ProcessStartInfo(binary)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/bin:/bin";
        start.Environment["MESHDEV_SERVICE"] = "bench";
        start.Environment["MESHDEV_POD"] = "bench-idle";
        start.Environment["MESHDEV_GATEWAY_LINK_PORT"] = mesh[0].ToString(CultureInfo.InvariantCulture);
        start.Environment["MESHDEV_GATEWAY_PORTS"] = string.Join(",", mesh.Skip(1).Select((port, i) => $"{port}=service{i}"));

        using var process = Process.Start(start) ?? throw new BenchException($"{binary} did not start");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        DataReceivedEventHandler onLine = (_, e) =>
        {
            if (e.Data is not { } line)
            {
                return;
            }

            lock (output)
            {
                output.Add(line);
            }

            if (line.Contains("mesh ports on 127.0.0.1", StringComparison.Ordinal))
            {
                listening.TrySetResult();
            }
        };
        process.OutputDataReceived += onLine;
        process.ErrorDataReceived += onLine;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
            await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);
            return ReadMemory(process.Id, $"alone, {ports} mesh ports and its link port listening, no link, {Settle.TotalSeconds:0} s after it started listening")
                ?? throw new BenchException("the idle gateway exited: " + string.Join("\n", output));
        }
        catch (TimeoutException)
        {
            lock (output)
            {
                throw new BenchException($"the gateway did not say it listens within 10 s: {string.Join("\n", output)}");
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Distinct free loopback ports, all held at once while they are picked so none repeats.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return listener;
        }).ToList();
        var ports = listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        listeners.ForEach(l => l.Stop());
        return ports;
    }

    private static GatewayMemory? ReadMemory(int pid, string where)
    {
        double? Field(string[] lines, string name) =>
            lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] is { } kb
                ? long.Parse(kb, CultureInfo.InvariantCulture) / 1024.0
                : null;

        var status = HostFacts.ReadLines($"/proc/{pid}/status").ToArray();
        return Field(status, "VmRSS") is { } rss ? new GatewayMemory(where, rss, Field(status, "VmHWM") ?? double.NaN) : null;
    }

    private static string? ProcessName(int pid) => HostFacts.ReadLines($"/proc/{pid}/comm").FirstOrDefault()?.Trim();

    /// <summary>"libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)"; the vDSO has no path.</summary>
    [GeneratedRegex(@"(?<=\s)/\S+(?=\s+\(0x)")]
    private static partial Regex LibraryPath();
}
