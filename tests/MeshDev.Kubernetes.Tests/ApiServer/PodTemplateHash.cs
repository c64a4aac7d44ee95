using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;

namespace MeshDev.Kubernetes.Tests.ApiServer;

/// <summary>
/// The <c>pod-template-hash</c> the Deployment controller puts in its ReplicaSet and pod names: FNV-1a (32 bit) of the
/// pod template, its decimal digits mapped onto the no-vowel alphabet (so names read like <c>orders-7d9f8b6c5-x2kqp</c>).
/// </summary>
internal static class PodTemplateHash
{
    public const string Label = "pod-template-hash";

    public static string Of(V1PodTemplateSpec? template)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(template is null ? "" : KubernetesJson.Serialize(template)))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return string.Concat(hash.ToString(CultureInfo.InvariantCulture).Select(c => RandomSuffix.Alphabet[c % RandomSuffix.Alphabet.Length]));
    }
}
