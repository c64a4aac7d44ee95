using static MeshDev.Authoring.Tests.Compose.ComposeTestImport;

namespace MeshDev.Authoring.Tests.Compose;

/// <summary><c>environment</c> and <c>env_file</c> → <c>env</c>.</summary>
public sealed class EnvironmentImportTests
{
    private const string Head = "runtime: docker\nimage: app\n";
    private const string Tail = "port: 80\n";

    [Fact]
    public void A_mapping_keeps_its_order_and_every_value_becomes_a_string()
    {
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                environment:
                  PORT_NUMBER: 8080
                  DEBUG: true
                  EMPTY: ""
                  GREETING: hello world
                  ODD: "a: b # c"
                  UNSET:
                  Not.Valid: x
            """);

        Assert.Equal(Head + "env:\n  PORT_NUMBER: \"8080\"\n  DEBUG: \"true\"\n  EMPTY: \"\"\n  GREETING: hello world\n  ODD: \"a: b # c\"\n" + Tail, Service(result, "app"));
        Assert.Equal(
        [
            "11:7: services.app.environment UNSET has no value: compose passes it from the shell, the manifest leaves it out",
            "12:7: services.app.environment 'Not.Valid' is left out: manifest variable names are letters, digits and '_', not starting with a digit",
        ], Findings(result));
    }

    [Fact]
    public void PORT_is_left_out_because_the_mesh_sets_it_from_port()
    {
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                environment:
                  PORT: 80
                  LEVEL: debug
            """);

        // The manifest refuses PORT in env, so an import that kept it would write a manifest that does not load.
        Assert.Equal(Head + "env:\n  LEVEL: debug\n" + Tail, Service(result, "app"));
        Assert.Equal(
            ["6:7: services.app.environment PORT is left out: the mesh sets PORT from 'port:' at every launch"],
            Findings(result));
    }

    [Fact]
    public void A_list_of_NAME_value_splits_at_the_first_equals_sign()
    {
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                environment:
                  - URL=postgres://db/shop?sslmode=disable
                  - EMPTY=
                  - DEBUG
                  - =orphan
                  - 1ST=x
                  - URL=http://override
            """);

        Assert.Equal(Head + "env:\n  URL: http://override\n  EMPTY: \"\"\n" + Tail, Service(result, "app"));
        Assert.Equal(
        [
            "8:9: services.app.environment DEBUG has no value: compose passes it from the shell, the manifest leaves it out",
            "9:9: services.app.environment '' is left out: manifest variable names are letters, digits and '_', not starting with a digit",
            "10:9: services.app.environment '1ST' is left out: manifest variable names are letters, digits and '_', not starting with a digit",
        ], Findings(result));
    }

    [Fact]
    public void Env_files_are_read_from_the_compose_folder_in_order_and_environment_wins()
    {
        var files = new Dictionary<string, string>
        {
            ["shop/base.env"] = "# defaults\nLEVEL=info\nNAME='quoted # kept'\n\nexport REGION=eu   # inline comment\nURL=\"http://x\\ty\"\n",
            ["shop/local.env"] = "LEVEL=debug\nTOKEN=${TOKEN_FROM_SHELL:-none}\nRAW='${NOT_SUBSTITUTED}'\n",
        };
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                env_file: [base.env, ./local.env]
                environment:
                  REGION: us
            """, files: files);

        Assert.Equal(
            Head + "env:\n  LEVEL: debug\n  NAME: \"quoted # kept\"\n  REGION: us\n  URL: \"http://x\\ty\"\n  TOKEN: none\n  RAW: ${NOT_SUBSTITUTED}\n" + Tail,
            Service(result, "app"));
        Assert.Empty(Findings(result));
    }

    [Fact]
    public void Problems_inside_an_env_file_point_into_that_file()
    {
        var files = new Dictionary<string, string> { ["shop/app.env"] = "OK=1\nQUOTE=\"open\nNAKED\nSECRET=${API_SECRET}\nbad-name=1\n" };

        var result = Import("services:\n  app:\n    image: app\n    ports: [\"80\"]\n    env_file: app.env\n", files: files);

        Assert.Equal(Head + "env:\n  OK: \"1\"\n  QUOTE: open\n  SECRET: \"\"\n" + Tail, Service(result, "app"));
        Assert.Equal(
        [
            "shop/app.env:2:1: the \" that starts the value is not closed on this line (the rest of the line is used)",
            "shop/app.env:3:1: NAKED has no value: compose passes it from the shell, the manifest leaves it out",
            "shop/app.env:4:1: variable API_SECRET is not set; it is replaced by an empty string",
            "shop/app.env:5:1: 'bad-name' is left out: manifest variable names are letters, digits and '_', not starting with a digit",
        ], Findings(result));
    }

    [Fact]
    public void A_missing_env_file_is_reported_unless_it_is_optional()
    {
        var result = Import("""
            services:
              app:
                image: app
                ports: ["80"]
                env_file:
                  - missing.env
                  - path: optional.env
                    required: false
                  - path: needed.env
                  - required: true
            """);

        Assert.Equal(Head + Tail, Service(result, "app"));
        Assert.Equal(
        [
            "6:9: services.app.env_file shop/missing.env does not exist (ignored)",
            "9:9: services.app.env_file shop/needed.env does not exist (ignored)",
            "10:9: services.app.env_file entry has no 'path' (ignored)",
        ], Findings(result));
    }

    [Fact]
    public void An_env_file_that_cannot_be_read_is_reported()
    {
        var sources = new MeshDev.Authoring.Compose.ComposeSources(_ => null, path => path == "shop/app.env" ? throw new IOException("permission denied") : null);

        var result = MeshDev.Authoring.Compose.ComposeImporter.Import("services:\n  app:\n    image: app\n    ports: [\"80\"]\n    env_file: app.env\n", ComposePath, sources: sources);

        Assert.Equal(["5:15: services.app.env_file shop/app.env cannot be read: permission denied (ignored)"], Findings(result));
    }

    [Fact]
    public void Environment_of_the_wrong_shape_is_reported()
    {
        var result = Import("services:\n  app:\n    image: app\n    ports: [\"80\"]\n    environment: DEBUG=1\n");

        Assert.Equal(["5:18: services.app.environment must be a mapping or a list of NAME=value (ignored)"], Findings(result));
    }
}
