using System.Security.Cryptography;
using System.Text;

namespace MeshDev.Runtime;

/// <summary>
/// A short, stable id for one mesh: derived from its state directory (one per manifest), so that a restarted
/// daemon and <c>meshdev down</c> recognise the containers this mesh launched and never touch another mesh's.
/// </summary>
public static class MeshIdentity
{
    public static string For(string stateDirectory)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(Path.GetFullPath(stateDirectory)));
        return Convert.ToHexStringLower(hash.AsSpan(0, 6));
    }
}
