using System.Runtime.InteropServices;
using MeshDev.Gateway;

// The gateway in a pod: listens on the mesh ports for the app's calls and on the link port for the laptop's link.
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
