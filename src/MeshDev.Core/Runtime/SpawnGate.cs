using System.Diagnostics;

namespace MeshDev.Runtime;

/// <summary>
/// Every child process the mesh starts, started one at a time. A fork copies every descriptor that is not
/// close-on-exec, and socket activation clears that flag on one listening socket for the length of one spawn
/// (<see cref="ActivationSocket"/>): with all forks behind this lock, no other child (another service, a
/// <c>dotnet build</c> whose nodes may live on for minutes) can inherit that socket and keep the port bound.
/// </summary>
internal static class SpawnGate
{
    private static readonly Lock Gate = new();

    /// <summary><see cref="Process.Start(ProcessStartInfo)"/>, never at the same time as another spawn of the mesh.</summary>
    public static Process Start(ProcessStartInfo start)
    {
        lock (Gate)
        {
            return Process.Start(start) ?? throw new LaunchException($"could not start '{start.FileName}'");
        }
    }

    /// <summary>Starts <paramref name="start"/> with <paramref name="inherited"/> open in the child (and only there), then closes the mesh's copy.</summary>
    public static Process StartHandingOver(ProcessStartInfo start, ActivationSocket inherited)
    {
        lock (Gate)
        {
            inherited.AllowInheritance();
            try
            {
                return Process.Start(start) ?? throw new LaunchException($"could not start '{start.FileName}'");
            }
            finally
            {
                // Once forked, the child holds its own reference to the socket: the port stays bound exactly as long
                // as the service (or what it hands the socket to) keeps it, and the next launch binds it afresh.
                inherited.Dispose();
            }
        }
    }
}
