namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>The random name suffixes Kubernetes generates (<c>generateName</c>, pod names): no vowels, no confusable digits.</summary>
internal static class RandomSuffix
{
    public const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Next(int length) => string.Create(length, 0, (chars, _) =>
    {
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        }
    });
}
