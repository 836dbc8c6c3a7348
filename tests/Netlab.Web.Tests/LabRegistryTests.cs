using System.Text.RegularExpressions;
using Netlab.Labs;
using Netlab.Labs.Core;
using Netlab.Web.Labs;

namespace Netlab.Web.Tests;

/// <summary>
/// A lab is a slice: its own folder in each project and one registration line in each. These
/// check what keeps that true: every event record is registered with a kind, both sides list the
/// same labs, and no shared file names a lab.
/// </summary>
public class LabRegistryTests
{
    [Fact]
    public void Every_event_record_has_exactly_one_registered_kind()
    {
        var records = typeof(LabEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(LabEvent)) && !t.IsAbstract).ToHashSet();
        var registered = LabCatalog.AllEvents.Select(k => k.Type).ToList();

        Assert.Empty(records.Except(registered).Select(t => t.Name));
        Assert.Equal(registered.Count, registered.Distinct().Count());
        Assert.Equal(LabCatalog.AllEvents.Count, LabCatalog.AllEvents.Select(k => k.Kind).Distinct().Count());
    }

    [Fact]
    public void A_lab_event_is_registered_by_its_own_lab_in_its_own_namespace()
    {
        foreach (var lab in LabCatalog.All)
        {
            var own = lab.Events.Select(k => k.Type.Namespace).Distinct().ToList();
            Assert.True(own.Count <= 1, $"{lab.Id} registers events from {string.Join(", ", own)}");
            Assert.All(lab.Events, k => Assert.NotEqual(typeof(LabEvent).Namespace, k.Type.Namespace));
        }
        Assert.All(EventKind.Shared, k => Assert.Equal(typeof(LabEvent).Namespace, k.Type.Namespace));
    }

    [Fact]
    public void Every_event_kind_round_trips_through_json_as_its_own_type()
    {
        foreach (var kind in LabCatalog.AllEvents)
        {
            var json = $$"""{"kind":"{{kind.Kind}}","sourceId":"x","seq":1,"timestamp":"2026-12-03T12:00:00+00:00"}""";
            var read = LabJson.Deserialize(json);
            Assert.IsType(kind.Type, read);
            Assert.Equal(kind.Kind, LabJson.KindOf(read!));
            Assert.StartsWith($$"""{"kind":"{{kind.Kind}}",""", LabJson.Serialize(read!));
        }
    }

    [Fact]
    public void The_web_modules_and_the_lab_catalog_list_the_same_labs()
    {
        Assert.Equal(LabCatalog.All.Select(l => l.Id), LabModules.All.Select(m => m.Definition.Id));
        Assert.All(LabModules.All, m => Assert.Same(LabCatalog.Find(m.Definition.Id), m.Definition));
    }

    [Fact]
    public void Shared_code_names_no_lab()
    {
        var root = Repository.Root;
        var shared = new[] { "src/Netlab.Web", "src/Netlab.Labs/Core", "src/Netlab.Data" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".cs") || f.EndsWith(".razor"))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}Netlab.Web{Path.DirectorySeparatorChar}Labs{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Where(f => Path.GetFileName(f) != "LabModules.cs") // the one registration line per lab
            .ToList();
        Assert.NotEmpty(shared);

        // A lab's ids as strings, its namespace, and its event records' names.
        var names = LabCatalog.All.SelectMany(l => new[] { $"\"{l.Id}\"" }
                .Concat(l.Probes.Select(p => $"\"{p.Id}\""))
                .Concat(l.Server is { } s ? [$"\"{s.Id}\""] : [])
                .Concat(l.Events.Select(e => e.Type.Name))
                .Concat(l.Events.Select(e => e.Type.Namespace!)))
            .Distinct()
            .ToList();
        var offences = shared
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(root, f), Line: i + 1, Text: line)))
            .Where(l => !l.Text.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .SelectMany(l => names.Where(n => Regex.IsMatch(l.Text, $@"(?<![\w.]){Regex.Escape(n)}(?![\w])")).Select(n => $"{l.File}:{l.Line} names {n}"))
            .ToList();
        Assert.Empty(offences);
    }
}

internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Netlab.Web.sln")))
            dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("Netlab.Web.sln not found above " + AppContext.BaseDirectory);
    }
}
