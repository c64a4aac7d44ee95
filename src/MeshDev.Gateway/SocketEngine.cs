namespace MeshDev.Gateway;

/// <summary>
/// How the runtime's socket engine runs the gateway's continuations. The gateway only relays bytes: what runs after a
/// read (look at the bytes, start the write) is short and never blocks, so it runs on the engine's one event thread
/// instead of being queued to the thread pool. That saves a thread wake-up and two context switches per read and keeps
/// both sockets of a relayed connection on one thread: the gateway's CPU per request fell by about half at one
/// connection and by a third at 32 (devtools/bench, pod → pod through the gateway).
/// </summary>
internal static class SocketEngine
{
    private const string InlineVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private const string ThreadCountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>Must run before the first socket is made: the runtime reads these once, when its socket engine starts.</summary>
    public static void RunContinuationsInline()
    {
        // A value given in the pod's environment wins, so the choice can be undone without a new image.
        if (Environment.GetEnvironmentVariable(InlineVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineVariable, "1");
        }

        // One event thread: a sidecar shares its pod's CPU with the app, and one thread relays tens of thousands of
        // requests a second, more than the app behind it serves.
        if (Environment.GetEnvironmentVariable(ThreadCountVariable) is null)
        {
            Environment.SetEnvironmentVariable(ThreadCountVariable, "1");
        }
    }
}
