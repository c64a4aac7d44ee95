using MeshDev.Catalog;
using Microsoft.Extensions.Time.Testing;

namespace MeshDev.Runtime.Tests;

/// <summary>
/// A service's log rotated by size: never more than <c>keep</c> files of <c>maxSize</c>, readers that say when lines they
/// were asked for were rotated away, followers that go on across a rotation, and the launch markers.
/// </summary>
public sealed class LogRotationTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 10, 0, 0, TimeSpan.Zero);

    // 28 bytes of time and space, 71 of text, the newline: 100 bytes a line, 10 lines a file.
    private static readonly LogRotation Small = new(MaxSize: 1000, Keep: 3);

    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(Start);

    public void Dispose() => _dir.Dispose();

    private string LogPath => _dir.Combine("logs", "orders.log");

    private static string Line(int i) => $"line {i:D5} ".PadRight(71, '.');

    [Fact]
    public void The_file_is_renamed_before_a_line_would_take_it_past_max_size_and_only_keep_files_stay()
    {
        using (var log = new ServiceLog("orders", LogPath, _time, rotation: Small))
        {
            for (var i = 1; i <= 95; i++)
            {
                log.Write(Line(i));
            }
        }

        Assert.Equal(["orders.log", "orders.log.1", "orders.log.2", "orders.log.rotated"], Directory.GetFiles(_dir.Combine("logs")).Select(Path.GetFileName).Order());
        Assert.Equal(500, new FileInfo(LogPath).Length);
        Assert.Equal(1000, new FileInfo(LogPath + ".1").Length);
        Assert.Equal(1000, new FileInfo(LogPath + ".2").Length);

        // The newest 25 lines are kept, in order across the files; the 70 before them went with 7 deleted files.
        var kept = File.ReadLines(LogPath + ".2").Concat(File.ReadLines(LogPath + ".1")).Concat(File.ReadLines(LogPath)).Select(l => l[28..]);
        Assert.Equal(Enumerable.Range(71, 25).Select(Line), kept);
        Assert.Equal((9L, 7000L), LogFileSet.ReadState(LogPath));
    }

    [Fact]
    public void Keep_1_starts_the_file_over_and_a_line_longer_than_max_size_still_goes_into_one_file()
    {
        using (var log = new ServiceLog("orders", LogPath, _time, rotation: Small with { Keep = 1 }))
        {
            for (var i = 1; i <= 15; i++)
            {
                log.Write(Line(i));
            }

            log.Write(new string('x', 3000));
            log.Write("after");
        }

        Assert.Equal(["orders.log", "orders.log.rotated"], Directory.GetFiles(_dir.Combine("logs")).Select(Path.GetFileName).Order());
        Assert.Equal(["after"], File.ReadLines(LogPath).Select(l => l[28..]));
        Assert.Equal((3L, 1500L + 3029L), LogFileSet.ReadState(LogPath));
    }

    [Fact]
    public void A_mesh_started_again_continues_the_rotation_and_drops_files_a_larger_keep_left()
    {
        using (var log = new ServiceLog("orders", LogPath, _time, rotation: Small with { Keep = 5 }))
        {
            for (var i = 1; i <= 45; i++)
            {
                log.Write(Line(i));
            }
        }

        Assert.True(File.Exists(LogPath + ".4"));
        using (var log = new ServiceLog("orders", LogPath, _time, rotation: Small))
        {
            log.Write(Line(46));
        }

        Assert.False(File.Exists(LogPath + ".3"));
        Assert.Equal(Enumerable.Range(21, 26).Select(Line), ReadFiles());
        Assert.Equal((4L, 2000L), LogFileSet.ReadState(LogPath));
    }

    [Fact]
    public async Task Reading_everything_says_how_much_was_rotated_away_before_the_lines_that_are_left()
    {
        using var log = WriteLines(95);

        var all = await ToListAsync(log.ReadAsync(new LogQuery()));

        var notice = all[0];
        Assert.True(notice.Notice);
        Assert.Equal("(older lines rotated away: 2.4 KB kept of 9.3 KB written; mesh.logs in the manifest sets how much is kept)", notice.Text);
        Assert.Equal(Enumerable.Range(71, 25).Select(Line), all.Skip(1).Select(e => e.Text));
        Assert.Equal(all, await ToListAsync(LogFile.ReadAsync(LogPath, new LogQuery())));
    }

    [Fact]
    public async Task Tail_and_since_note_the_rotation_only_when_they_reach_past_the_oldest_line_kept()
    {
        using var log = WriteLines(95);

        Assert.DoesNotContain(await ToListAsync(log.ReadAsync(new LogQuery(Tail: 25))), e => e.Notice);
        var tooMany = await ToListAsync(log.ReadAsync(new LogQuery(Tail: 30)));
        Assert.True(tooMany[0].Notice);
        Assert.Equal(26, tooMany.Count);

        // Line i was written at Start + i s: line 71 is the oldest kept.
        Assert.DoesNotContain(await ToListAsync(log.ReadAsync(new LogQuery(Since: Start.AddSeconds(71)))), e => e.Notice);
        var before = await ToListAsync(LogFile.ReadAsync(LogPath, new LogQuery(Since: Start.AddSeconds(60), Tail: 3)));
        Assert.Equal([Line(93), Line(94), Line(95)], before.Select(e => e.Text));
        var earlier = await ToListAsync(LogFile.ReadAsync(LogPath, new LogQuery(Since: Start.AddSeconds(60))));
        Assert.True(earlier[0].Notice);
        Assert.Equal(Line(71), earlier[1].Text);
    }

    [Fact]
    public async Task A_follower_of_the_mesh_gets_every_line_across_rotations_once_and_in_order()
    {
        using var log = WriteLines(5);
        using var stop = new CancellationTokenSource(Wait.Long);
        await using var follower = log.ReadAsync(new LogQuery(Follow: true), stop.Token).GetAsyncEnumerator(stop.Token);
        Assert.True(await follower.MoveNextAsync());

        // Registered: from now on, 40 lines (4 rotations) while it has read only one line of the file.
        for (var i = 6; i <= 45; i++)
        {
            log.Write(Line(i));
        }

        var seen = new List<string> { follower.Current.Text };
        while (seen.Count < 45)
        {
            Assert.True(await follower.MoveNextAsync());
            seen.Add(follower.Current.Text);
        }

        Assert.Equal(Enumerable.Range(1, 45).Select(Line), seen);
    }

    [Fact]
    public async Task A_follower_of_the_file_goes_on_in_the_new_file_after_a_rotation()
    {
        using var log = WriteLines(5);
        using var stop = new CancellationTokenSource(Wait.Long);
        await using var follower = LogFile.ReadAsync(LogPath, new LogQuery(Follow: true), stop.Token).GetAsyncEnumerator(stop.Token);
        var seen = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            Assert.True(await follower.MoveNextAsync());
            seen.Add(follower.Current.Text);
        }

        // Two rotations while it waits at the end of the file: the rest of its file (now .2), all of .1, then the new file.
        for (var i = 6; i <= 22; i++)
        {
            log.Write(Line(i));
        }

        while (seen.Count < 22)
        {
            Assert.True(await follower.MoveNextAsync());
            seen.Add(follower.Current.Text);
        }

        Assert.Equal(Enumerable.Range(1, 22).Select(Line), seen);
    }

    [Fact]
    public async Task A_launch_is_marked_with_its_number_and_local_time_in_the_file_the_tail_and_the_foreground_output()
    {
        _time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2"));
        var raised = new List<string>();
        using (var log = new ServiceLog("orders", LogPath, _time))
        {
            log.LineWritten += (_, line) => raised.Add(line);
            log.MarkLaunch(1);
            log.Write("connecting to db...");
            _time.Advance(TimeSpan.FromSeconds(42.5));
            log.MarkLaunch(2);
            log.Write("connected");
            Assert.Equal(["── launch #1 at 12:00:00 ──", "connecting to db...", "── launch #2 at 12:00:42 ──", "connected"], log.Tail());
        }

        Assert.Equal(
            ["2026-11-27T10:00:00.000000Z ── launch #1 at 12:00:00 ──", "2026-11-27T10:00:00.000000Z connecting to db...", "2026-11-27T10:00:42.500000Z ── launch #2 at 12:00:42 ──", "2026-11-27T10:00:42.500000Z connected"],
            await File.ReadAllLinesAsync(LogPath));
        Assert.Equal(["── launch #1 at 12:00:00 ──", "connecting to db...", "── launch #2 at 12:00:42 ──", "connected"], raised);
    }

    [Fact]
    public void The_in_memory_tail_keeps_few_long_lines()
    {
        using var log = new ServiceLog("orders", filePath: null, tailCapacity: 200);
        for (var i = 0; i < 100; i++)
        {
            log.Write(new string((char)('a' + (i % 26)), 60_000));
        }

        var tail = log.Tail(200);
        Assert.InRange(tail.Count, 1, 5);
        Assert.Equal(new string((char)('a' + (99 % 26)), 60_000), tail[^1]);
    }

    [Fact]
    public void Lines_are_split_as_read_line_does_also_across_reads_and_endless_lines_are_cut()
    {
        var splitter = new OutputPump.LineSplitter();

        Assert.Equal(["one", "two"], splitter.Split("one\ntwo\r\nthr"));
        Assert.Equal(["three"], splitter.Split("ee\r"));
        Assert.Equal(["", "four"], splitter.Split("\n\nfour\rfive"));
        Assert.Equal(["five"], splitter.End());
        Assert.Empty(splitter.End());

        var pieces = splitter.Split(new string('x', OutputPump.MaxLineLength * 2 + 10) + "\n");
        Assert.Equal([OutputPump.MaxLineLength, OutputPump.MaxLineLength, 10], pieces.Select(p => p.Length));
    }

    private ServiceLog WriteLines(int count)
    {
        var log = new ServiceLog("orders", LogPath, _time, rotation: Small);
        for (var i = 1; i <= count; i++)
        {
            _time.SetUtcNow(Start.AddSeconds(i));
            log.Write(Line(i));
        }

        return log;
    }

    private IEnumerable<string> ReadFiles() =>
        Enumerable.Range(0, LogRotation.MaxKeep + 1).Reverse().Select(i => LogFileSet.PathOf(LogPath, i)).Where(File.Exists)
            .SelectMany(File.ReadLines).Select(l => l[28..]);

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
