"""Device knowledge: what the phone's answers mean and what to do next."""
