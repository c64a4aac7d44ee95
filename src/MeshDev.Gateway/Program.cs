using System.Runtime.InteropServices;
using MeshDev.Gateway;

// The gateway in a pod: listens on the mesh ports for the app's calls and on the link port for the laptop's link;
// with --wait-listening, the pod's postStart hook that waits for that.
SocketEngine.RunContinuationsInline();
GatewaySettings settings;
try
{
    settings = GatewaySettings.FromEnvironment(Environment.GetEnvironmentVariable);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"meshdev-gateway: {e.Message}");
    return 2;
}

if (args is [ListeningCheck.Argument])
{
    var closed = await ListeningCheck.WaitAsync(settings, () => File.ReadAllText("/proc/net/tcp"), TimeProvider.System, CancellationToken.None);
    if (closed.Count == 0)
    {
        return 0;
    }

    Console.Error.WriteLine($"meshdev-gateway: not listening on 127.0.0.1 port {string.Join(", ", closed)} after {ListeningCheck.Limit.TotalSeconds:0} s; its log says why");
    return 1;
}

if (args.Length > 0)
{
    Console.Error.WriteLine($"meshdev-gateway: unknown arguments '{string.Join(' ', args)}' (the only one is {ListeningCheck.Argument})");
    return 2;
}

using var stopping = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stopping.Cancel();
});
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
{
    context.Cancel = true;
    stopping.Cancel();
});

await using var gateway = new PodGateway(settings, line => Console.WriteLine($"meshdev-gateway: {line}"));
try
{
    gateway.Start();
}
catch (System.Net.Sockets.SocketException e)
{
    Console.Error.WriteLine($"meshdev-gateway: cannot listen: {e.Message}");
    return 1;
}

try
{
    await Task.Delay(Timeout.Infinite, stopping.Token);
}
catch (OperationCanceledException)
{
}

return 0;
