// Placeholder entry point until the simulator lands.
export {};
