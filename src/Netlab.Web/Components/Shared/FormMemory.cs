using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Components.Server.ProtectedBrowserStorage;
using Microsoft.JSInterop;
using Netlab.Labs.Core;
using Netlab.Web.Runs;

namespace Netlab.Web.Components.Shared;

/// <summary>
/// What a student typed into a server or probe form, kept in this browser tab's session storage
/// (encrypted by the framework's ProtectedSessionStorage), so that the page that comes back after
/// a lost connection or a portal restart (a reload) shows the same values, not the defaults.
/// </summary>
public sealed class FormMemory(ProtectedSessionStorage storage)
{
    /// <summary>Longer values (an uploaded file as a data URL) are not kept.</summary>
    private const int MaxValueLength = 16 * 1024;

    public sealed record Saved(JsonElement Options, string? Host, int? Port);

    public async Task SaveAsync(string key, IReadOnlyList<OptionField> fields, Dictionary<string, object?> values, string? host, int? port)
    {
        var kept = values.Where(v => v.Value is not string s || s.Length <= MaxValueLength).ToDictionary();
        try
        {
            await storage.SetAsync(Key(key), new Saved(OptionsForm.ToJson(kept), host, port));
        }
        catch (Exception e) when (e is JSException or InvalidOperationException or TaskCanceledException)
        {
            // The tab is going away (or storage is full): nothing to keep it for.
        }
    }

    /// <summary>The values saved for this form in this tab, typed as the form holds them; null when none (or no longer valid).</summary>
    public async Task<(Dictionary<string, object?> Values, string? Host, int? Port)?> LoadAsync(string key, Type optionsType, IReadOnlyList<OptionField> fields)
    {
        try
        {
            var saved = await storage.GetAsync<Saved>(Key(key));
            if (!saved.Success || saved.Value is null)
                return null;
            // Bound like the API binds options, so a value that is no longer valid is not restored.
            var options = LabOptionsBinder.Bind(optionsType, saved.Value.Options);
            var values = fields.ToDictionary(f => f.Name, f => optionsType
                .GetProperty(f.Name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.GetValue(options) ?? f.Default);
            return (values, saved.Value.Host, saved.Value.Port);
        }
        catch (Exception e) when (e is Hosting.ProblemException or JsonException or JSException or System.Security.Cryptography.CryptographicException or InvalidOperationException)
        {
            return null; // stale or from another key ring: start from the defaults
        }
    }

    private static string Key(string key) => "netlab-form:" + key;
}
