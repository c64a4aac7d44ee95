using MeshDev.Activation;
using MeshDev.Cli.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.IntegrationTests.Cli;

/// <summary><c>meshdev up</c>'s launch progress, on a fake clock: a status line on a terminal, periodic lines otherwise, a summary on failure.</summary>
public sealed class LaunchProgressTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly StringWriter _written = new();

    private static ServiceStateChange Change(string service, ServiceState from, ServiceState to, string detail) => new(service, from, to, detail);

    private string[] Lines() => _written.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void Without_a_terminal_a_slow_launch_is_reported_every_few_seconds_with_what_it_is_doing()
    {
        var output = new ForegroundOutput(["orders", "db"], _written, terminal: false);
        using var progress = new LaunchProgress(output, _time, live: false);

        progress.OnStateChange(Change("db", ServiceState.Stopped, ServiceState.Starting, "launching"));
        progress.OnServiceLine("db", "meshdev: pulling postgres:16: 1/3 layers done, 10.0 MB of 90.0 MB downloaded");
        _time.Advance(LaunchProgress.PlainInterval);
        progress.OnStateChange(Change("db", ServiceState.Starting, ServiceState.Ready, "ready in 5200 ms at 127.0.0.1:5432"));
        _time.Advance(LaunchProgress.PlainInterval);

        Assert.Equal(
        [
            "meshdev | db: starting: launching",
            "db      | meshdev: pulling postgres:16: 1/3 layers done, 10.0 MB of 90.0 MB downloaded",
            "meshdev | db: pulling postgres:16: 1/3 layers done, 10.0 MB of 90.0 MB downloaded 5.0 s",
            "meshdev | db: ready: ready in 5200 ms at 127.0.0.1:5432",
        ], Lines());
    }

    [Fact]
    public void A_build_is_shown_as_a_build_for_as_long_as_it_takes_then_the_service_starting()
    {
        var output = new ForegroundOutput(["orders"], _written, terminal: true);
        using var progress = new LaunchProgress(output, _time, live: true);

        progress.OnStateChange(Change("orders", ServiceState.Stopped, ServiceState.Starting, "launching"));
        _time.Advance(TimeSpan.FromMilliseconds(200));
        progress.OnServiceLine("orders", "meshdev: building (dotnet build)");
        _time.Advance(TimeSpan.FromSeconds(12.3));
        Assert.Equal("orders: building (dotnet build) 12.3 s", progress.Status());

        progress.OnServiceLine("orders", "── launch #1 at 12:00:12 ──");
        _time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.Equal("orders: starting 0.4 s", progress.Status());
    }

    [Fact]
    public void A_build_before_any_launch_is_shown_and_a_launch_that_joins_it_keeps_its_start()
    {
        var output = new ForegroundOutput(["orders", "pricing"], _written, terminal: true);
        using var progress = new LaunchProgress(output, _time, live: true);

        progress.OnServiceLine("orders", "meshdev: building (dotnet build)");
        progress.OnServiceLine("pricing", "meshdev: building (dotnet build)");
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("orders: building (dotnet build) 2.0 s · pricing: building (dotnet build) 2.0 s", progress.Status());

        // A call launches orders while its build runs: still the build, timed from its start.
        progress.OnStateChange(Change("orders", ServiceState.Stopped, ServiceState.Starting, "launching"));
        progress.OnServiceLine("orders", "meshdev: building (dotnet build)");
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("orders: building (dotnet build) 3.0 s · pricing: building (dotnet build) 3.0 s", progress.Status());

        // pricing's build ends with no launch waiting: it leaves the line; orders' launch goes on.
        progress.OnServiceLine("pricing", "meshdev: built Pricing.csproj in 3.0 s (into /shop/.meshdev/build/pricing/1)");
        progress.OnServiceLine("orders", "meshdev: built Orders.csproj in 3.0 s (into /shop/.meshdev/build/orders/1)");
        progress.OnServiceLine("orders", "── launch #1 at 12:00:03 ──");
        Assert.Equal("orders: starting 0.0 s", progress.Status());
    }

    [Fact]
    public void A_failed_launch_ends_with_one_line_naming_the_cause_and_the_services_last_words()
    {
        var output = new ForegroundOutput(["orders"], _written, terminal: false);
        using var progress = new LaunchProgress(output, _time, live: false);

        progress.OnStateChange(Change("orders", ServiceState.Stopped, ServiceState.Starting, "launching"));
        progress.OnServiceLine("orders", "loading config");
        progress.OnServiceLine("orders", "fatal: config missing");
        progress.OnStateChange(Change("orders", ServiceState.Starting, ServiceState.Failed, "exited with code 3 before it was ready; next try in 1 s"));

        Assert.Equal(
            "meshdev | orders did not start: exited with code 3 before it was ready; its last line: fatal: config missing; everything: meshdev logs orders",
            Lines()[^1]);
    }

    [Fact]
    public void A_detached_daemon_prints_no_service_lines_and_a_launch_marker_is_not_a_services_last_words()
    {
        var output = new ForegroundOutput(["orders"], _written, terminal: false);
        using var progress = new LaunchProgress(output, _time, live: false, echoServiceOutput: false);

        progress.OnStateChange(Change("orders", ServiceState.Stopped, ServiceState.Starting, "launching"));
        progress.OnServiceLine("orders", "── launch #1 at 12:00:00 ──");
        progress.OnStateChange(Change("orders", ServiceState.Starting, ServiceState.Failed, "exited with code 3 before it was ready; next try in 1 s"));

        Assert.Equal(
        [
            "meshdev | orders: starting: launching",
            "meshdev | orders: FAILED: exited with code 3 before it was ready; next try in 1 s",
            "meshdev | orders did not start: exited with code 3 before it was ready; it printed nothing; everything: meshdev logs orders",
        ], Lines());
    }

    [Fact]
    public void On_a_terminal_the_starting_services_are_a_status_line_kept_under_the_output()
    {
        var output = new ForegroundOutput(["orders", "db"], _written, terminal: true);
        using var progress = new LaunchProgress(output, _time, live: true);

        progress.OnStateChange(Change("orders", ServiceState.Stopped, ServiceState.Starting, "launching"));
        progress.OnStateChange(Change("db", ServiceState.Stopped, ServiceState.Starting, "launching"));
        _time.Advance(TimeSpan.FromMilliseconds(1500));

        Assert.Equal("db: starting 1.5 s · orders: starting 1.5 s", progress.Status());
        var text = _written.ToString();
        // Every line is written after erasing the status line, which is drawn again below it.
        Assert.Contains("\r\e[2K", text);
        Assert.EndsWith("db: starting 1.5 s · orders: starting 1.5 s\e[0m", text);

        progress.OnStateChange(Change("orders", ServiceState.Starting, ServiceState.Ready, "ready"));
        progress.OnStateChange(Change("db", ServiceState.Starting, ServiceState.Ready, "ready"));

        Assert.Null(progress.Status());
        // Nothing is starting any more: the status line was erased and not drawn again.
        Assert.EndsWith("\r\e[2K", _written.ToString());
    }
}
