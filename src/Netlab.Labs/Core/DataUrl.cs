namespace Netlab.Labs.Core;

/// <summary>A file: its name, media type and bytes (e.g. one uploaded in the browser, or a mail attachment).</summary>
public sealed record UploadedFile(string FileName, string MediaType, byte[] Content);

/// <summary>
/// An uploaded file as one option value: an RFC 2397 data URL with the file name as a parameter,
/// data:image/png;name=cat.png;base64,.... The browser form and scripts send the same thing.
/// </summary>
public static class DataUrl
{
    public static bool TryParse(string url, out UploadedFile? file)
    {
        file = null;
        if (!TryHeader(url, out var mediaType, out var name, out var comma))
            return false;
        try
        {
            file = new UploadedFile(name, mediaType, Convert.FromBase64String(url[(comma + 1)..]));
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    public static string Format(UploadedFile file) =>
        $"data:{file.MediaType};name={Uri.EscapeDataString(file.FileName)};base64,{Convert.ToBase64String(file.Content)}";

    /// <summary>What a stored record keeps of an upload: its name and size, not its bytes.</summary>
    public static string Describe(string url) => TryHeader(url, out _, out var name, out var comma)
        ? $"({name}, {(url.Length - comma - 1) / 4 * 3} bytes uploaded)"
        : $"({url.Length} characters, not a data URL)";

    private static bool TryHeader(string url, out string mediaType, out string name, out int comma)
    {
        mediaType = "application/octet-stream";
        name = "attachment";
        comma = url.IndexOf(',');
        if (!url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) || comma < 0)
            return false;
        var meta = url[5..comma].Split(';');
        if (!meta.Contains("base64", StringComparer.OrdinalIgnoreCase))
            return false;
        if (meta[0].Contains('/'))
            mediaType = meta[0].ToLowerInvariant();
        if (meta.Skip(1).FirstOrDefault(m => m.StartsWith("name=", StringComparison.OrdinalIgnoreCase)) is { } n)
            name = Path.GetFileName(Uri.UnescapeDataString(n[5..]));
        return true;
    }
}
