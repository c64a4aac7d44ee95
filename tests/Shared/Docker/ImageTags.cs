using System.Security.Cryptography;
using System.Text;

namespace MeshDev.Testing.Docker;

/// <summary>Content-hash tags: an image's tag is a short hash of everything that defines it, so an unchanged image is found, not rebuilt.</summary>
internal static class ImageTags
{
    /// <summary>Repository prefix of every image these tests build (and only those: cleanup scripts may match it).</summary>
    public const string Repository = "meshdev-test";

    private const int TagLength = 16;

    /// <summary>The first <see cref="TagLength"/> hex digits of SHA-256 over <paramref name="content"/> and each of <paramref name="extra"/>.</summary>
    public static string Hash(ReadOnlySpan<byte> content, params string[] extra)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(content);
        foreach (var part in extra)
        {
            // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{part.Length}:{part}"));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset())[..TagLength];
    }

    /// <summary><c>meshdev-test/{name}:{hash}</c>.</summary>
    public static string Reference(string name, string hash) => $"{Repository}/{name}:{hash}";
}
