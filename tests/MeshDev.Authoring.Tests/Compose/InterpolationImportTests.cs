using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary>Compose's <c>${VAR}</c> substitution across a whole file: the process environment, <c>.env</c>, defaults, findings.</summary>
public sealed class InterpolationImportTests
{
    [Fact]
    public void Variables_come_from_the_environment_then_dot_env_and_defaults_fill_the_rest()
    {
        var variables = new Dictionary<string, string> { ["TAG"] = "2.0", ["REGION"] = "eu" };
        var files = new Dictionary<string, string> { ["shop/.env"] = "TAG=1.0\nWEB_PORT=8088\n" };

        var result = Import("""
            services:
              web:
                image: "acme/web:${TAG}"
                ports: ["${WEB_PORT}:${INNER_PORT:-80}"]
                environment:
                  REGION: $REGION
                  PRICE: "$$5"
                  ZONE: ${ZONE-${REGION}-1}
            """, variables, files);

        Assert.Equal("runtime: docker\nimage: acme/web:2.0\nenv:\n  REGION: eu\n  PRICE: $5\n  ZONE: eu-1\nport: 80\nmeshPort: 8088\n", Service(result, "web"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Each_unset_variable_without_a_default_is_reported_where_it_is_written_once()
    {
        var result = Import("""
            x-env: &env
              environment:
                TOKEN: ${API_TOKEN}
            services:
              one:
                <<: *env
                image: one
                ports: ["80"]
              two:
                <<: *env
                image: two:${TWO_TAG:?set TWO_TAG in .env}
                ports: ["81"]
                command: echo $ ${BROKEN
            """);

        Assert.Equal("runtime: docker\nimage: one\nenv:\n  TOKEN: \"\"\nport: 80\n", Service(result, "one"));
        Assert.Equal("runtime: docker\nimage: \"two:\"\nargs: [echo, $, \"${BROKEN\"]\nenv:\n  TOKEN: \"\"\nport: 81\n", Service(result, "two"));
        Assert.Equal(
        [
            "1:1: x-env is an extension field (ignored; anchors defined in it apply where they are used)",
            "3:12: variable API_TOKEN is not set; it is replaced by an empty string",
            "11:12: variable TWO_TAG is required: set TWO_TAG in .env; it is replaced by an empty string",
            "13:14: '$' is not followed by a variable name; write $$ for a literal $ (kept as written)",
            "13:14: '${BROKEN' has no closing '}'; write $$ for a literal $ (kept as written)",
        ], Findings(result));
    }

    [Fact]
    public void A_malformed_dot_env_line_is_reported_in_dot_env()
    {
        var files = new Dictionary<string, string> { ["shop/.env"] = "TAG='1.0\n" };

        var result = Import("services:\n  web:\n    image: web:${TAG}\n    ports: [\"80\"]\n", files: files);

        Assert.Contains("\nimage: web:1.0\n", Service(result, "web"));
        Assert.Equal(["shop/.env:1:1: the ' that starts the value is not closed on this line (the rest of the line is used)"], Findings(result));
    }
}
