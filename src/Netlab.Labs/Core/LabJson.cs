using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Netlab.Labs.Core;

/// <summary>
/// The one JSON shape of events and options, used by the API, the hub, the store and the tests:
/// camelCase, enums as their names, events tagged with "kind". The kinds come from the shared
/// list and every registered lab (<see cref="LabCatalog.AllEvents"/>), not from a list here.
/// </summary>
public static class LabJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>For options sent by users: unknown fields are errors, so a typo is not silently ignored.</summary>
    public static JsonSerializerOptions StrictOptions { get; } = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    private static readonly Dictionary<Type, string> Kinds = Registered().ToDictionary(k => k.Type, k => k.Kind);

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = true;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
            options.Converters.Add(new JsonStringEnumConverter());
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(AddEventKinds);
        return options;
    }

    /// <summary>The "kind" an event carries in JSON, e.g. "rttSample".</summary>
    public static string KindOf(LabEvent e) => Kinds[e.GetType()];

    public static string Serialize(LabEvent e) => JsonSerializer.Serialize(e, Options);

    public static JsonElement ToElement(LabEvent e) => JsonSerializer.SerializeToElement(e, Options);

    public static LabEvent? Deserialize(string json) => JsonSerializer.Deserialize<LabEvent>(json, Options);

    private static void AddEventKinds(JsonTypeInfo info)
    {
        if (info.Type != typeof(LabEvent))
            return;
        info.PolymorphismOptions = new JsonPolymorphismOptions { TypeDiscriminatorPropertyName = "kind" };
        foreach (var kind in Registered())
            info.PolymorphismOptions.DerivedTypes.Add(new JsonDerivedType(kind.Type, kind.Kind));
    }

    private static IReadOnlyList<EventKind> Registered()
    {
        var all = LabCatalog.AllEvents;
        // Two labs claiming one kind would make stored events ambiguous: refuse at start-up.
        if (all.GroupBy(k => k.Kind).FirstOrDefault(g => g.Count() > 1) is { } clash)
            throw new InvalidOperationException($"The event kind '{clash.Key}' is registered more than once.");
        return all;
    }
}
