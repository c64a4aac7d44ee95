namespace MeshDev.Authoring.Init;

/// <summary>What <c>meshdev init</c> was given cannot be read as a folder, solution or project; the message says what to pass.</summary>
public sealed class InitException(string message) : Exception(message);
