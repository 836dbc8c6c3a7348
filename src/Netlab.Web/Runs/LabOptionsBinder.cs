using System.Text.Json;
using Netlab.Labs.Core;
using Netlab.Web.Hosting;

namespace Netlab.Web.Runs;

/// <summary>Turns the "options" JSON of a request into a validated options record, or a 400 naming the field.</summary>
public static class LabOptionsBinder
{
    public static object Bind(Type optionsType, JsonElement? json)
    {
        object? options;
        if (json is null || json.Value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            options = Activator.CreateInstance(optionsType);
        }
        else if (json.Value.ValueKind != JsonValueKind.Object)
        {
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["options"] = ["options must be a JSON object."] });
        }
        else
        {
            try
            {
                options = json.Value.Deserialize(optionsType, LabJson.StrictOptions);
            }
            catch (JsonException e)
            {
                var field = e.Path is { Length: > 2 } path ? "options." + path[2..] : "options";
                throw ProblemException.Invalid(new Dictionary<string, string[]> { [field] = [$"{field}: {FirstSentence(e.Message)}"] });
            }
        }
        if (options is null)
            throw ProblemException.Invalid(new Dictionary<string, string[]> { ["options"] = ["options must be a JSON object."] });
        var errors = OptionField.Validate(options);
        if (errors.Count > 0)
            throw ProblemException.Invalid(errors.ToDictionary(e => "options." + e.Key, e => e.Value));
        return options;
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". Path:", StringComparison.Ordinal);
        return end > 0 ? message[..end] + "." : message;
    }
}
