namespace MeshDev.TestServices;

/// <summary>
/// The start-up both test services share (MeshDev.TestService and MeshDev.GrpcTestService, linked into each): the port
/// (--port, else PORT), a slow start on request, a slim Kestrel host on 127.0.0.1, the "stopping" line and a one-line
/// failure to listen.
/// </summary>
internal static class TestServiceHost
{
    /// <summary>
    /// <paramref name="flag"/> (--port), else the PORT variable (0 = any free port). Null, after a "fatal:" line on
    /// stderr, when neither names a port: the service then exits with code 2.
    /// </summary>
    public static int? ResolvePort(int? flag)
    {
        if (flag is not null)
        {
            return flag;
        }

        if (int.TryParse(Environment.GetEnvironmentVariable("PORT"), out var port) && port is >= 0 and <= 65535)
        {
            return port;
        }

        Console.Error.WriteLine("fatal: environment variable PORT is not set to a port number (or pass --port N)");
        return null;
    }

    /// <summary>--start-delay-ms: sleeps that long before listening, saying so.</summary>
    public static void DelayStart(int milliseconds)
    {
        if (milliseconds > 0)
        {
            Console.WriteLine($"starting in {milliseconds} ms");
            Thread.Sleep(milliseconds);
        }
    }

    /// <summary>A slim host on http://127.0.0.1:{port} that logs warnings only (ASPNETCORE_URLS and the command line ignored).</summary>
    public static WebApplicationBuilder CreateBuilder(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None); // a failed start is reported by RunAsync, in one line
        // In a pod (the Kubernetes stand-in) the service listens on every address, as apps in pods do, so other pods reach it.
        var address = Environment.GetEnvironmentVariable("MESHDEV_TEST_LISTEN") is { Length: > 0 } listen ? listen : "127.0.0.1";
        builder.WebHost.UseUrls($"http://{address}:{port}");
        return builder;
    }

    /// <summary>Runs until stopped, printing "stopping" on a graceful stop. Exit code 0, or 1 with one line on stderr when it cannot listen.</summary>
    public static async Task<int> RunAsync(WebApplication app, int port)
    {
        app.Lifetime.ApplicationStopping.Register(() => Console.WriteLine("stopping"));
        try
        {
            await app.RunAsync();
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"fatal: cannot listen on http://127.0.0.1:{port}: {e.Message}");
            return 1;
        }

        return 0;
    }
}
