import Foundation

/// The AWS CLI's two shared files, read for one profile: `~/.aws/credentials` (sections named after
/// the profile) and `~/.aws/config` (`[default]`, `[profile NAME]`), moved by
/// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`.
struct SharedConfig {
    let credentialsFile: String
    let configFile: String

    init(environment: [String: String], home: String) {
        credentialsFile = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        configFile = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
    }

    /// One profile as found in the two files.
    struct Profile {
        var name: String
        /// Its section of the credentials file, if there is one.
        var credentials: [String: String]?
        /// Its section of the config file, if there is one.
        var config: [String: String]?
        /// Where each section was, for messages and sources.
        var credentialsPlace: String
        var configPlace: String

        var exists: Bool { credentials != nil || config != nil }

        /// A setting, from the credentials file first (as the CLI merges them), then the config file.
        subscript(key: String) -> String? { credentials?[key] ?? config?[key] }

        /// Long-term (or pasted temporary) keys written in one of the two sections.
        func staticKeys(in section: [String: String]?, place: String) -> AWSCredentials? {
            guard let section, let key = section["aws_access_key_id"], let secret = section["aws_secret_access_key"],
                !key.isEmpty, !secret.isEmpty
            else { return nil }
            return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: section["aws_session_token"],
                                  source: place)
        }
    }

    /// The profile `name`; `exists` is false when neither file has it.
    /// - Throws: ``AWSError/credentials(_:)`` when a file exists but cannot be read.
    func profile(_ name: String) throws(AWSError) -> Profile {
        let configSection = name == "default" ? "default" : "profile \(name)"
        return Profile(
            name: name, credentials: try INIFile.section(name, in: credentialsFile),
            config: try INIFile.section(configSection, in: configFile),
            credentialsPlace: "\(credentialsFile) [\(name)]", configPlace: "\(configFile) [\(configSection)]")
    }
}

/// The AWS shared-file INI dialect: `[section]`, `key = value`, `#` and `;` comments.
enum INIFile {
    /// The section's keys, nil when the file or the section does not exist.
    /// - Throws: ``AWSError/credentials(_:)`` when the file exists but cannot be read.
    static func section(_ name: String, in path: String) throws(AWSError) -> [String: String]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .credentials("cannot read \(path): \(error.localizedDescription)")
        }
        return parse(text)[name]
    }

    static func parse(_ text: String) -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), line.hasSuffix("]") {
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
            } else if let current, let equals = line.firstIndex(of: "=") {
                let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
                sections[current]?[key] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return sections
    }
}
