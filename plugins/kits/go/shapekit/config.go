package shapekit

// CodeBadConfig is the error code for a plugin configuration of the wrong shape.
const CodeBadConfig = "bad_config"

// Config is a plugin's configuration from the manifest (plugin.config). Its
// accessors return def when the key is absent or null, and a *Error with code
// "bad_config" naming the key when the value has the wrong type.
type Config map[string]any

// String returns config[key] as a string.
func (c Config) String(key, def string) (string, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", Refuse(CodeBadConfig, "config.%s must be a string, got %s", key, kindOf(v))
	}
	return s, nil
}

// Bool returns config[key] as a boolean.
func (c Config) Bool(key string, def bool) (bool, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, Refuse(CodeBadConfig, "config.%s must be true or false, got %s", key, kindOf(v))
	}
	return b, nil
}

// List returns config[key] as a JSON array (nil when absent).
func (c Config) List(key string) ([]any, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return nil, nil
	}
	l, ok := v.([]any)
	if !ok {
		return nil, Refuse(CodeBadConfig, "config.%s must be a list, got %s", key, kindOf(v))
	}
	return l, nil
}

// Object returns config[key] as a JSON object (nil when absent).
func (c Config) Object(key string) (Config, error) {
	v, ok := c[key]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Refuse(CodeBadConfig, "config.%s must be an object, got %s", key, kindOf(v))
	}
	return Config(m), nil
}
