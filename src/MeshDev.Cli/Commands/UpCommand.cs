using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using MeshDev.Activation;
using MeshDev.Catalog;
using MeshDev.Cli.Infrastructure;
using MeshDev.Daemon.Hosting;
using MeshDev.Daemon.State;
using MeshDev.Text;

namespace MeshDev.Cli.Commands;

/// <summary><c>meshdev up [-f FILE] [--detach] [--adopt] [--watch]</c>: validate, then run the mesh in the foreground or as a daemon.</summary>
public static class UpCommand
{
    private static readonly TimeSpan DetachTimeout = TimeSpan.FromSeconds(60);

    public static Command Create()
    {
        var file = CommonOptions.File();
        var detach = new Option<bool>("--detach", "-d") { Description = "Run in the background; return once the mesh answers" };
        var adopt = new Option<bool>("--adopt") { Description = "Use a Kubernetes namespace that exists but is not marked as yours (it gets your owner label)" };
        var watch = new Option<bool>("--watch") { Description = "Rebuild a running project service as soon as its sources change (not at its next call)" };
        var daemonChild = new Option<bool>("--daemon-child") { Hidden = true };
        var command = new Command("up", "Start the mesh: listen on the mesh ports and launch services when they are first called") { file, detach, adopt, watch, daemonChild };
        command.SetAction(async (parse, ct) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            var manifest = CommonOptions.LoadManifest(path);
            if (manifest is null)
            {
                return ExitCodes.InvalidManifest;
            }

            return parse.GetValue(detach) && !parse.GetValue(daemonChild)
                ? await DetachAsync(manifest, parse.GetValue(adopt), parse.GetValue(watch), ct)
                : await RunForegroundAsync(manifest, parse.GetValue(adopt), parse.GetValue(watch), daemonChild: parse.GetValue(daemonChild));
        });
        return command;
    }

    private static async Task<int> RunForegroundAsync(MeshManifest manifest, bool adoptNamespaces, bool watch, bool daemonChild)
    {
        var output = new ForegroundOutput(manifest.Services.Select(s => s.Name));
        using var progress = new LaunchProgress(output, TimeProvider.System, live: output.IsTerminal, echoServiceOutput: !daemonChild);
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.TrySetResult(); });
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; stop.TrySetResult(); }); // terminal closed

        MeshHost host;
        try
        {
            host = await MeshHost.StartAsync(manifest, new MeshHostOptions
            {
                AdoptNamespaces = adoptNamespaces,
                Watch = watch,
                OnServiceOutput = progress.OnServiceLine,
                OnStateChange = progress.OnStateChange,
                OnMeshMessage = output.Mesh,
            });
        }
        catch (MeshStartException ex)
        {
            return CommonOptions.Fail(ex.Message);
        }

        await using (host)
        {
            foreach (var service in manifest.Services)
            {
                var routes = string.Join(", ", service.AllHosts.Select(h => $"Host {h}")
                    .Concat(service.Paths.Select(p => $"path {p}"))
                    .Concat(service.GrpcServices.Select(g => $"gRPC {g}")));
                var address = service.Protocol == ServiceProtocol.Tcp ? $"tcp 127.0.0.1:{service.MeshPort}" : $"http://127.0.0.1:{service.MeshPort}";
                var what = service.Container is { } container ? $" -> container {container.Image}"
                    : service.Kubernetes is { } pod ? $" -> Kubernetes Deployment ({pod.Image ?? string.Join(", ", pod.Manifests.Select(Path.GetFileName))})"
                    : "";
                var when = host.Activator.Find(service.Name)!.State == ServiceState.Ready ? "running (adopted)" : "launched on first call";
                output.Mesh($"{service.Name}: {address}{(routes.Length > 0 ? $" ({routes})" : "")}{what}; {when}");
            }

            // The detached daemon has no terminal: its log is read later, where Ctrl+C would point at nothing.
            output.Mesh(daemonChild
                ? "running detached: 'meshdev down' stops the mesh and everything it launched"
                : "press Ctrl+C to stop the mesh and everything it launched");
            await Task.WhenAny(stop.Task, host.ShutdownRequested);
        }

        output.Mesh("mesh stopped");
        return ExitCodes.Ok;
    }

    private static async Task<int> DetachAsync(MeshManifest manifest, bool adoptNamespaces, bool watch, CancellationToken cancellationToken)
    {
        var state = StateDirectory.For(manifest);
        try
        {
            MeshHost.EnsureNotRunning(state); // the daemon checks again, but this answers before spawning it
        }
        catch (MeshStartException ex)
        {
            return CommonOptions.Fail(ex.Message);
        }

        state.Create();
        var logStart = File.Exists(state.DaemonLog) ? new FileInfo(state.DaemonLog).Length : 0;
        using var daemon = StartDaemonProcess(manifest.FilePath, state.DaemonLog, adoptNamespaces, watch);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < DetachTimeout)
        {
            if (DaemonInfo.TryRead(state.DaemonFile) is { } info && info.Pid == daemon.Id)
            {
                Console.WriteLine($"mesh up for {manifest.FilePath} (pid {info.Pid}): shared port 127.0.0.1:{manifest.Mesh.HttpPort}, {Plural.Of(manifest.Services.Length, "service")} launched on first call");
                Console.WriteLine($"logs: {state.DaemonLog}; see 'meshdev status', stop with 'meshdev down'");
                return ExitCodes.Ok;
            }

            if (daemon.HasExited)
            {
                Console.Error.Write(ReadFrom(state.DaemonLog, logStart));
                return CommonOptions.Fail($"the mesh daemon exited with code {daemon.ExitCode} before it was up (log: {state.DaemonLog})");
            }

            await Task.Delay(25, cancellationToken);
        }

        daemon.Kill(entireProcessTree: true);
        return CommonOptions.Fail($"the mesh daemon did not come up within {DetachTimeout.TotalSeconds:0} s (log: {state.DaemonLog})");
    }

    private static Process StartDaemonProcess(string manifestPath, string logPath, bool adoptNamespaces, bool watch)
    {
        // Re-run this same program as `up --daemon-child`, in its own session (setsid) so that closing the terminal
        // does not signal it, with its output appended to the daemon log.
        var self = Environment.ProcessPath!;
        var selfArgs = Path.GetFileNameWithoutExtension(self) == "dotnet" ? new[] { self, typeof(UpCommand).Assembly.Location } : [self];
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("log=\"$1\"; shift; exec setsid \"$@\" >>\"$log\" 2>&1 </dev/null");
        start.ArgumentList.Add("meshdev-daemon");
        start.ArgumentList.Add(logPath);
        foreach (var arg in selfArgs.Concat(["up", "-f", manifestPath, "--daemon-child"]).Concat(adoptNamespaces ? ["--adopt"] : []).Concat(watch ? ["--watch"] : []))
        {
            start.ArgumentList.Add(arg);
        }

        return Process.Start(start)!;
    }

    private static string ReadFrom(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Seek(offset, SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }
}
