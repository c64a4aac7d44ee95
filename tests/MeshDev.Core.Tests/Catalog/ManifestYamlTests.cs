using MeshDev.Catalog;

namespace MeshDev.Core.Tests.Catalog;

/// <summary>
/// The YAML layer of the manifest: anchors, aliases and merge keys work as in compose files, and hostile or broken text
/// (alias bombs, self-containing aliases, deep nesting, text the parser gives up on) ends in one located sentence, never a crash.
/// </summary>
public sealed class ManifestYamlTests
{
    private static readonly string ManifestPath = Path.Combine(Path.GetTempPath(), "meshdev-yaml-tests", "meshdev.yaml");

    [Fact]
    public void An_alias_shares_a_mapping_between_services()
    {
        var manifest = ManifestLoader.Parse("""
            services:
              orders:
                command: /bin/true
                env: &common { A: "1" }
              billing:
                command: /bin/true
                env: *common
            """, ManifestPath);

        Assert.All(manifest.Services, service => Assert.Equal("1", service.Env["A"]));
    }

    [Fact]
    public void Merge_keys_take_own_keys_first_then_earlier_merges_as_in_compose()
    {
        var manifest = ManifestLoader.Parse("""
            x-defaults: &defaults
              ready: { http: /healthz }
              idleTimeout: 5m
              env: &env { LOG: info, REGION: eu }
            x-slow: &slow
              idleTimeout: 1h
              startTimeout: 2m
            services:
              orders:
                <<: [*defaults, *slow]
                command: ./orders
              billing:
                <<: *slow
                command: ./billing
                idleTimeout: 30s
                env:
                  <<: *env
                  LOG: debug
            """, ManifestPath);

        var orders = manifest.Services.Single(s => s.Name == "orders");
        Assert.Equal(ReadyKind.Http, orders.Ready.Kind);
        Assert.Equal(TimeSpan.FromMinutes(5), orders.IdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), orders.StartTimeout);
        Assert.Equal("info", orders.Env["LOG"]);
        var billing = manifest.Services.Single(s => s.Name == "billing");
        Assert.Equal(TimeSpan.FromSeconds(30), billing.IdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), billing.StartTimeout);
        Assert.Equal("debug", billing.Env["LOG"]);
        Assert.Equal("eu", billing.Env["REGION"]);
    }

    [Fact]
    public void A_service_can_merge_another_service_anchored_in_place()
    {
        var manifest = ManifestLoader.Parse("""
            services:
              orders: &service
                command: ./orders
                idleTimeout: 2m
              billing:
                <<: *service
                command: ./billing
            """, ManifestPath);

        var billing = manifest.Services.Single(s => s.Name == "billing");
        Assert.EndsWith("billing", billing.Command);
        Assert.Equal(TimeSpan.FromMinutes(2), billing.IdleTimeout);
    }

    [Fact]
    public void A_merged_key_that_is_unknown_is_reported_where_the_anchor_writes_it()
    {
        var errors = Errors("""
            x-defaults: &defaults
              idleTimout: 5m
            services:
              orders:
                <<: *defaults
                command: ./orders
            """);

        Assert.Equal(["2:3: unknown key 'idleTimout' in service 'orders'; did you mean 'idleTimeout'?"], errors);
    }

    [Fact]
    public void A_merge_of_something_that_is_not_a_mapping_is_reported_with_the_fix()
    {
        var errors = Errors("services:\n  orders:\n    <<: [a, b]\n    command: ./orders\n");

        Assert.Equal(["3:9: '<<' must merge a mapping or a list of mappings; anchor a mapping with '&name' and merge it with '<<: *name'"], errors);
    }

    [Fact]
    public void A_billion_laughs_alias_bomb_is_refused_with_one_sentence_at_the_alias()
    {
        var lines = new List<string> { "x-lol:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]" };
        for (var level = 1; level <= 9; level++)
        {
            lines.Add($"  a{level}: &a{level} [{string.Join(", ", Enumerable.Repeat($"*a{level - 1}", 10))}]");
        }

        lines.AddRange(["services:", "  orders:", "    command: ./orders", "    args: *a9"]);

        var errors = Errors(string.Join("\n", lines));

        // a0..a4 hold 123,455 values; the eighth *a4 (111,111 each) in a5's list, on line 7, crosses 1,000,000.
        var error = Assert.Single(errors);
        Assert.Equal("7:47: alias '*a4' expands the manifest to more than 1,000,000 values (an alias bomb); write shared values once and use fewer levels of aliases inside aliases", error);
    }

    [Fact]
    public void Merge_keys_that_nest_into_a_bomb_are_refused_too()
    {
        var lines = new List<string> { "x-m0: &m0 { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10 }" };
        for (var level = 1; level <= 8; level++)
        {
            lines.Add($"x-m{level}: &m{level} {{ <<: [{string.Join(", ", Enumerable.Repeat($"*m{level - 1}", 10))}] }}");
        }

        lines.AddRange(["services:", "  orders:", "    <<: *m8", "    command: ./orders"]);

        var error = Assert.Single(Errors(string.Join("\n", lines)));

        Assert.Contains("(an alias bomb)", error);
    }

    [Fact]
    public void An_alias_inside_its_own_anchor_is_refused()
    {
        var error = Assert.Single(Errors("services:\n  orders:\n    command: ./orders\n    args: &loop [a, *loop]\n"));

        Assert.Equal("4:21: alias '*loop' is inside the value anchored '&loop' itself, which would make that value contain itself; point it at another anchor", error);
    }

    [Fact]
    public void An_alias_to_no_anchor_is_refused_with_the_fix()
    {
        var error = Assert.Single(Errors("services:\n  orders:\n    command: *cmd\n"));

        Assert.Equal("3:14: alias '*cmd' names no anchor written before it; put '&cmd' on an earlier value, or quote the text if '*' is meant literally", error);
    }

    [Fact]
    public void Duplicate_keys_are_all_reported_also_next_to_aliases()
    {
        var errors = Errors("""
            services:
              orders:
                command: ./orders
                env: &e { A: "1" }
                env: *e
              billing:
                command: *x
            """);

        Assert.Equal(["5:5: duplicate key 'env' (first written on line 4)", "7:14: alias '*x' names no anchor written before it; put '&x' on an earlier value, or quote the text if '*' is meant literally"], errors);
    }

    [Fact]
    public void A_hundred_thousand_nested_brackets_stop_at_the_depth_limit()
    {
        var error = Assert.Single(Errors("services:\n  orders: " + new string('[', 100_000) + "\n"));

        Assert.Equal($"2:{11 + BoundedParser.MaxDepth - 2}: values are nested more than 64 levels deep here; close the '[' or '{{' left open before it, or flatten the value", error);
    }

    [Fact]
    public void Aliases_that_nest_past_the_depth_limit_are_refused()
    {
        var lines = new List<string> { "x-d0: &d0 [[[[[[[[[[x]]]]]]]]]]" };
        for (var level = 1; level <= 8; level++)
        {
            lines.Add($"x-d{level}: &d{level} [[[[[[[[[[*d{level - 1}]]]]]]]]]]");
        }

        lines.AddRange(["services:", "  orders:", "    command: ./orders"]);

        var error = Assert.Single(Errors(string.Join("\n", lines)));

        Assert.Contains("nests values more than 64 levels deep", error);
    }

    [Fact]
    public void A_nul_character_in_any_value_is_reported_at_each_value_instead_of_crashing_on_the_path()
    {
        // Each of these reached Path.GetFullPath or the process start with the NUL and threw ArgumentException.
        var errors = Errors("""
            services:
              orders:
                command: ./orders
                workingDir: "/tmp/x\0y"
              billing:
                project: "b\x00.csproj"
                args: ["a\0"]
            """);

        var fix = "holds a NUL character (\\0), which no path, argument or environment value can carry; remove it";
        Assert.Equal([$"4:17: this value {fix}", $"6:14: this value {fix}", $"7:12: this value {fix}"], errors);
    }

    /// <summary>Each row: text the parser gives up on without a position (InvalidOperationException inside YamlDotNet).</summary>
    public static TheoryData<string, string> UnreadableText => new()
    {
        { "services:\n  orders:\n    args: [a, b\n    port: 5\n", "3:11: the '[' opened on line 3 is never closed; close it with ']' and separate its items with ','" },
        { "services:\n  orders: {command: x, env: {A: 1\n", "2:29: the '{' opened on line 2 is never closed; close it with '}' and separate its items with ','" },
        { "services:\n  orders: { command: ./orders\n", "2:11: the '{' opened on line 2 is never closed; close it with '}' and separate its items with ','" },
    };

    [Theory]
    [MemberData(nameof(UnreadableText))]
    public void Text_the_parser_gives_up_on_is_reported_at_the_unclosed_bracket(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void A_second_mapping_value_on_the_first_line_is_reported_before_the_truncated_rest()
    {
        Assert.Equal(
            ["1:11: line 1 has a second ': ' inside a value; quote the value (\"…\") or put the nested key on its own line, indented"],
            Errors("services: : :\n  orders: {command: x, env: {A: 1\n"));
    }

    [Fact]
    public void Text_after_a_document_end_marker_is_located()
    {
        var error = Assert.Single(Errors("services:\n  orders:\n    command: x\n... *x&x [b: a\n"));

        Assert.Matches(@"^4:\d+: ", error);
    }

    private static string[] Errors(string yaml)
    {
        var error = Assert.Throws<ManifestException>(() => ManifestLoader.Parse(yaml, ManifestPath));
        return [.. error.Errors.Select(e => $"{e.Location.Line}:{e.Location.Column}: {e.Message}")];
    }
}
