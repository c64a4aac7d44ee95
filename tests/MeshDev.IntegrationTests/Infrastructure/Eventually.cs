namespace MeshDev.IntegrationTests.Infrastructure;

/// <summary>
/// Waits for conditions that have no event to await (a process leaving /proc, a state read from another process).
/// The limits are generous on purpose: they only end a hang, they never decide whether something was fast enough.
/// </summary>
internal static class Eventually
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(condition, new Lazy<string>(what), timeout);

    /// <param name="what">Said when the wait times out; computed only then (it may read the state at that moment).</param>
    public static async Task UntilAsync(Func<bool> condition, Lazy<string> what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Deadline;
        using var expired = new CancellationTokenSource(limit);
        while (!condition())
        {
            if (expired.IsCancellationRequested)
            {
                throw new TimeoutException($"still waiting after {limit.TotalSeconds:0} s for: {what.Value}");
            }

            await Task.Delay(PollInterval, CancellationToken.None);
        }
    }
}
