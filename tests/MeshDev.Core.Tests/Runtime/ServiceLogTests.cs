using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Runtime.Tests;

/// <summary>
/// A service's log: every line in the file with the time it was read, selections by time and count, and followers
/// that get the past lines then the new ones, none twice and none lost.
/// </summary>
public sealed class ServiceLogTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_line_is_written_with_its_utc_time_and_raised_without_it()
    {
        using var directory = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        var raised = new List<string>();
        var path = directory.Combine("logs", "orders.log");
        using (var log = new ServiceLog("orders", path, time))
        {
            log.LineWritten += (_, line) => raised.Add(line);
            log.Write("listening on http://127.0.0.1:5000");
            time.Advance(TimeSpan.FromMilliseconds(1500.25));
            log.Write("GET /orders 200");
        }

        Assert.Equal(["2026-11-27T10:00:00.000000Z listening on http://127.0.0.1:5000", "2026-11-27T10:00:01.500250Z GET /orders 200"], await File.ReadAllLinesAsync(path));
        Assert.Equal(["listening on http://127.0.0.1:5000", "GET /orders 200"], raised);
    }

    [Fact]
    public async Task Since_and_tail_select_from_the_file()
    {
        using var directory = new TempDirectory();
        var time = new FakeTimeProvider(Start);
        using var log = new ServiceLog("orders", directory.Combine("orders.log"), time);
        for (var i = 1; i <= 5; i++)
        {
            log.Write($"line {i}");
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(["line 3", "line 4", "line 5"], await TextsAsync(log.ReadAsync(new LogQuery(Since: Start.AddSeconds(2)))));
        Assert.Equal(["line 4", "line 5"], await TextsAsync(log.ReadAsync(new LogQuery(Tail: 2))));
        Assert.Equal(["line 5"], await TextsAsync(log.ReadAsync(new LogQuery(Since: Start.AddSeconds(1), Tail: 1))));
        Assert.Empty(await TextsAsync(log.ReadAsync(new LogQuery(Tail: 0))));
        Assert.Equal(Start.AddSeconds(4), (await ToListAsync(log.ReadAsync(new LogQuery(Tail: 1))))[0].Time);
    }

    [Fact]
    public async Task A_follower_gets_the_past_lines_then_each_new_one_once()
    {
        using var directory = new TempDirectory();
        using var log = new ServiceLog("orders", directory.Combine("orders.log"));
        log.Write("before 1");
        log.Write("before 2");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var follower = log.ReadAsync(new LogQuery(Follow: true), stop.Token).GetAsyncEnumerator(stop.Token);

        // The follower is registered on its first read; lines written from then on come live, the others from the file.
        Assert.True(await follower.MoveNextAsync());
        Assert.Equal("before 1", follower.Current.Text);
        log.Write("after 1");
        var seen = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(await follower.MoveNextAsync());
            seen.Add(follower.Current.Text);
        }

        var next = follower.MoveNextAsync();
        Assert.False(next.IsCompleted);
        log.Write("after 2");
        Assert.True(await next);
        seen.Add(follower.Current.Text);

        Assert.Equal(["before 2", "after 1", "after 2"], seen);
    }

    [Fact]
    public async Task Without_a_file_the_recent_lines_come_from_memory()
    {
        using var log = new ServiceLog("orders", filePath: null, tailCapacity: 3);
        for (var i = 1; i <= 5; i++)
        {
            log.Write($"line {i}");
        }

        Assert.Equal(["line 3", "line 4", "line 5"], await TextsAsync(log.ReadAsync(new LogQuery())));
        Assert.Equal(["line 4", "line 5"], log.Tail(2));
    }

    [Fact]
    public void A_line_without_a_time_keeps_the_previous_one()
    {
        var timed = LogFile.Parse("2026-11-27T10:00:00.000000Z hello");
        var legacy = LogFile.Parse("no time here", timed.Time);
        var tricky = LogFile.Parse("2026-11-27T10:00:00.000000Zno space");

        Assert.Equal(new LogEntry(Start, "hello"), timed);
        Assert.Equal(new LogEntry(Start, "no time here"), legacy);
        Assert.Equal(new LogEntry(null, "2026-11-27T10:00:00.000000Zno space"), tricky);
        Assert.Equal("2026-11-27T10:00:00.000000Z hello", LogFile.Format(timed));
    }

    private static async Task<List<string>> TextsAsync(IAsyncEnumerable<LogEntry> entries) =>
        [.. (await ToListAsync(entries)).Select(e => e.Text)];

    private static async Task<List<LogEntry>> ToListAsync(IAsyncEnumerable<LogEntry> entries)
    {
        var list = new List<LogEntry>();
        await foreach (var entry in entries)
        {
            list.Add(entry);
        }

        return list;
    }
}
