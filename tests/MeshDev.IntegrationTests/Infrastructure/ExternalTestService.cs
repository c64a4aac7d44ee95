using System.Diagnostics;
using MeshDev.Runtime;
using MeshDev.Testing;

namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>A TestService the test starts itself (as a developer runs one from the IDE), outside any mesh; killed on dispose.</summary>
internal sealed class ExternalTestService : IAsyncDisposable
{
    private readonly Process _process;

    private ExternalTestService(Process process, int port, string tag)
    {
        _process = process;
        Port = port;
        Tag = tag;
    }

    public int Port { get; }

    public string Tag { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Starts it on <paramref name="port"/> (default a free one) and returns once it accepts connections.</summary>
    public static async Task<ExternalTestService> StartAsync(string name, int? port = null)
    {
        port ??= TestPorts.Free();
        var tag = TaggedProcesses.NewTag();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(TestPaths.TestServiceDll);
        start.Environment["PORT"] = port.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["MESHDEV_TEST_NAME"] = name;
        start.Environment[TaggedProcesses.Variable] = tag;
        var process = Process.Start(start)!;
        var service = new ExternalTestService(process, port.Value, tag);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("listening on", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await Task.WhenAny(listening.Task, process.WaitForExitAsync()).WaitAsync(Eventually.Deadline);
            if (!listening.Task.IsCompleted)
            {
                throw new InvalidOperationException($"the external TestService exited with code {process.ExitCode} before listening on {port}");
            }
        }
        catch
        {
            await service.DisposeAsync();
            throw;
        }

        return service;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(Eventually.Deadline);
        }
        finally
        {
            TaggedProcesses.KillAll(Tag);
            _process.Dispose();
        }
    }
}
