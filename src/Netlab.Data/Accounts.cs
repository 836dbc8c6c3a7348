using Microsoft.AspNetCore.Identity;

namespace Netlab.Data;

/// <summary>The three roles of a class: students own their work, instructors see and manage everyone's, admins also manage staff.</summary>
public static class Roles
{
    public const string Student = "Student";
    public const string Instructor = "Instructor";
    public const string Admin = "Admin";

    public static IReadOnlyList<string> All { get; } = [Student, Instructor, Admin];

    /// <summary>The canonical spelling of a role name given in any case; null when it is not a role.</summary>
    public static string? Normalize(string? role) => All.FirstOrDefault(r => string.Equals(r, role?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>A person with an account: the e-mail is the user name; the name is what lists show.</summary>
public sealed class NetlabUser : IdentityUser
{
    public string DisplayName { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// An API key of a user. Only a SHA-256 hash of the key is kept: keys are 256 random bits, so a
/// fast hash is enough (no guessing to slow down) and a leaked database reveals no key.
/// </summary>
public sealed class ApiKeyEntity
{
    public Guid Id { get; set; }
    public required string UserId { get; set; }
    public required string Name { get; set; }
    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public required string Hash { get; set; }
    /// <summary>The key's first characters, so a user can tell keys apart without the secret.</summary>
    public required string Prefix { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}
