using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace MeshDev.Bench;

/// <summary>
/// nginx as the yardstick proxy of a bench part, with a configuration of the bench's own, in its own prefix under the
/// scratch directory, in the foreground (a child of the bench, stopped with it).
/// </summary>
internal static class NginxProcess
{
    public static string Find() =>
        WarmPathBench.FindOnPath("nginx") ?? (File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : null)
        ?? throw new BenchException("nginx is not installed (devtools/bench/run.sh installs it: apt-get install -y nginx-light libnginx-mod-stream)");

    /// <summary>
    /// Starts nginx with <paramref name="blocks"/> (the <c>http { }</c> or <c>stream { }</c> part, given the prefix)
    /// and returns once it accepts connections on <paramref name="port"/>.
    /// </summary>
    /// <param name="name">The prefix directory's name (one per part).</param>
    /// <param name="modules">Dynamic modules to load, e.g. ngx_stream_module.so, when the build has them as modules.</param>
    public static async Task<Child> StartAsync(BenchContext context, string name, int port, Func<string, string> blocks, CancellationToken cancellationToken, params string[] modules)
    {
        var nginxPath = Find();
        var prefix = Path.Combine(context.TempDirectory, name) + "/";
        Directory.CreateDirectory(prefix);
        // Workers of a root master run as 'nobody'; they only need to read the prefix.
        File.SetUnixFileMode(prefix, (UnixFileMode)0b111_101_101);
        var loads = string.Concat(modules.Select(ModulePath).OfType<string>().Select(m => $"load_module {m};\n"));
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $$"""
            # Written by devtools/bench (MeshDev.Bench): nginx as the yardstick for the mesh.
            {{loads}}daemon off;
            worker_processes auto;
            pid {{prefix}}nginx.pid;
            error_log {{prefix}}error.log warn;
            events { worker_connections 4096; }
            {{blocks(prefix)}}

            """), cancellationToken).ConfigureAwait(false);

        var output = new StringBuilder();
        var nginx = context.Children.Start(nginxPath, ["-c", config, "-p", prefix, "-e", prefix + "error.log"], onLine: line =>
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        });

        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (nginx.Process.HasExited)
            {
                var log = File.Exists(prefix + "error.log") ? await File.ReadAllTextAsync(prefix + "error.log", cancellationToken).ConfigureAwait(false) : "";
                context.Children.Kill(nginx);
                throw new BenchException($"nginx exited at start: {output}{log}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port, cancellationToken).ConfigureAwait(false);
                Console.WriteLine($"  nginx: 127.0.0.1:{port} (pid {nginx.Pid}, config {config})");
                return nginx;
            }
            catch (SocketException)
            {
                // Not listening yet.
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        context.Children.Kill(nginx);
        throw new BenchException("nginx did not listen within 10 s");
    }

    /// <summary>
    /// An <c>http { }</c> block with <paramref name="body"/> (upstreams, servers): no access log, temporary files in
    /// the prefix, and no end to a connection's requests (the default ends it after 1000 with GOAWAY or a close, and
    /// h2load does not reconnect).
    /// </summary>
    public static string Http(string prefix, string body) => $$"""
        http {
            access_log off;
            keepalive_requests 100000000;
            client_body_temp_path {{prefix}}client_body;
            proxy_temp_path {{prefix}}proxy;
            fastcgi_temp_path {{prefix}}fastcgi;
            uwsgi_temp_path {{prefix}}uwsgi;
            scgi_temp_path {{prefix}}scgi;
        {{body}}
        }
        """;

    public static string Version()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(Find(), "-v") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false })!;
            var text = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
            process.WaitForExit(5000);
            return text.Trim().Replace("nginx version: ", "", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return "nginx (version unknown)";
        }
    }

    // Debian builds the stream module as a dynamic module (libnginx-mod-stream); other builds have it compiled in.
    private static readonly string[] ModuleDirectories = ["/usr/lib/nginx/modules", "/usr/lib64/nginx/modules", "/usr/share/nginx/modules"];

    private static string? ModulePath(string module) =>
        ModuleDirectories
            .Select(directory => Path.Combine(directory, module))
            .FirstOrDefault(File.Exists);
}
