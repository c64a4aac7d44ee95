using System.Text;
using MeshDev.Authoring.Compose;

namespace MeshDev.Authoring.Init;

/// <summary>A project's service name: its name in lower kebab case (<c>OrderService</c> → <c>order-service</c>, <c>Shop.Api</c> → <c>shop-api</c>).</summary>
internal static class ProjectNames
{
    public static string ToServiceName(string projectName)
    {
        var words = new StringBuilder(projectName.Length + 8);
        for (var i = 0; i < projectName.Length; i++)
        {
            var c = projectName[i];
            // A word starts at an upper-case letter after a lower-case one or a digit (OrderService), or at the last
            // capital of an acronym that a lower-case letter follows (HTTPServer → HTTP-Server).
            var startsWord = i > 0 && char.IsUpper(c)
                && (char.IsLower(projectName[i - 1]) || char.IsDigit(projectName[i - 1])
                    || (char.IsUpper(projectName[i - 1]) && i + 1 < projectName.Length && char.IsLower(projectName[i + 1])));
            if (startsWord)
            {
                words.Append('-');
            }

            words.Append(c);
        }

        return ServiceNames.ToDnsLabel(words.ToString());
    }
}
