using System.Text.Json;
using System.Text.Json.Serialization;

namespace Netlab.Labs.Core;

/// <summary>
/// The one JSON shape of events and options, used by the API, the hub, the store and the tests:
/// camelCase, enums as their names, events tagged with "kind".
/// </summary>
public static class LabJson
{
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>For options sent by users: unknown fields are errors, so a typo is not silently ignored.</summary>
    public static JsonSerializerOptions StrictOptions { get; } = new(Options) { UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow };

    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.PropertyNameCaseInsensitive = true;
        if (!options.Converters.OfType<JsonStringEnumConverter>().Any())
            options.Converters.Add(new JsonStringEnumConverter());
        return options;
    }

    private static readonly Dictionary<Type, string> Kinds = typeof(LabEvent)
        .GetCustomAttributes(typeof(JsonDerivedTypeAttribute), inherit: false)
        .Cast<JsonDerivedTypeAttribute>()
        .ToDictionary(a => a.DerivedType, a => (string)a.TypeDiscriminator!);

    /// <summary>The "kind" an event carries in JSON, e.g. "rttSample".</summary>
    public static string KindOf(LabEvent e) => Kinds[e.GetType()];

    public static string Serialize(LabEvent e) => JsonSerializer.Serialize(e, Options);

    public static JsonElement ToElement(LabEvent e) => JsonSerializer.SerializeToElement(e, Options);

    public static LabEvent? Deserialize(string json) => JsonSerializer.Deserialize<LabEvent>(json, Options);
}
