using MeshDev.Runtime;

namespace MeshDev.Testing;

/// <summary>
/// Free loopback ports for tests to hand to a server they start later. They come from 16000–19999: below the OS's
/// ephemeral range (Linux: from 32768), so no outgoing connection on the machine takes one as its local port, and below
/// the range the mesh picks <c>port: auto</c> service ports from (20000 up). A port the OS picked (bind to port 0) and
/// released is free only until some connection takes it, which on a machine running several test projects at once is
/// a matter of seconds: a daemon killed and started again on its port then fails with "address already in use".
/// </summary>
/// <remarks>
/// Test projects run in parallel processes. Each claims its own slice of the range with a lock file held until it
/// exits, so two processes never hand out the same port; within a process the picks go round the slice, skipping
/// ports something is bound to.
/// </remarks>
public static class TestPorts
{
    private const int RangeStart = 16000;
    private const int RangeEnd = 20000;
    private const int SliceSize = 250;

    private static readonly Lazy<(int Start, FileStream? Lock)> Slice = new(ClaimSlice);
    private static int _picks = -1;

    /// <summary>A port on 127.0.0.1 that nothing is bound to now and that this process has not handed out recently.</summary>
    public static int Free()
    {
        var start = Slice.Value.Start;
        for (var i = 0; i < SliceSize; i++)
        {
            var port = start + (int)((uint)Interlocked.Increment(ref _picks) % SliceSize);
            if (Ports.CanBind(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"Every test port in {start}-{start + SliceSize - 1} is in use.");
    }

    private static (int Start, FileStream? Lock) ClaimSlice()
    {
        var directory = Path.Combine(Path.GetTempPath(), "meshdev-test-ports");
        Directory.CreateDirectory(directory);
        const int slices = (RangeEnd - RangeStart) / SliceSize;
        for (var i = 0; i < slices; i++)
        {
            try
            {
                // FileShare.None takes an exclusive flock; the kernel drops it when this process exits, however it exits.
                var held = new FileStream(Path.Combine(directory, $"slice-{i}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                return (RangeStart + (i * SliceSize), held);
            }
            catch (IOException)
            {
                // Another test process holds this slice.
            }
        }

        // More test processes than slices: share one; the bind check still skips what the others have bound.
        return (RangeStart + (Random.Shared.Next(slices) * SliceSize), null);
    }
}
